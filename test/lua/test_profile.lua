-- skynet.profile: CPU time of a coroutine, leaving out the time it is
-- suspended (while other coroutines of the service use the CPU)
local skynet = require "skynet"
local profile = require "skynet.profile"
local T = require "testlib"

-- uses about `seconds` of CPU (the node's other threads are idle)
local function burn(seconds)
	local t0 = os.clock()
	local x = 0
	while os.clock() - t0 < seconds do
		for i = 1, 1000 do
			x = x + i
		end
	end
	return x
end

local function near(got, want, what)
	T.ok(got >= want * 0.7 and got <= want * 1.6 + 0.02,
		string.format("%s: %.3f s, expected about %.3f s", what, got, want))
end

local function suspended_time_left_out()
	profile.start()
	burn(0.05)
	-- while this thread sleeps another one of this service burns 0.3 s
	skynet.fork(burn, 0.3)
	skynet.sleep(1)
	skynet.sleep(1)
	burn(0.05)
	local t = profile.stop()
	near(t, 0.1, "two bursts around a sleep")
end

local function other_coroutine()
	local co = coroutine.create(function()
		burn(0.04)
		coroutine.yield("first")
		burn(0.04)
		return "done"
	end)
	profile.start(co)
	T.eq(select(2, profile.resume(co)), "first", "profile.resume is coroutine.resume")
	burn(0.2) -- not co's time
	T.eq(select(2, coroutine.resume(co)), "done", "resumed again")
	near(profile.stop(co), 0.08, "a coroutine's own time")
end

local function on_behalf_of()
	local parent = coroutine.create(function() end)
	profile.start(parent)
	local child = coroutine.create(function(a)
		burn(0.05)
		local b = profile.yield_co(parent, a + 1)
		return b * 2
	end)
	local ok, v = profile.resume_co(child, parent, 1)
	T.ok(ok and v == 2, "resume_co passes values both ways")
	burn(0.1) -- charged to nobody
	ok, v = profile.resume_co(child, parent, 21)
	T.ok(ok and v == 42, "resume_co to the end")
	near(profile.stop(parent), 0.05, "work charged to the parent")
end

local function yield_and_wrap()
	local f = profile.wrap(function(a)
		local b = profile.yield(a, a + 1)
		return b
	end)
	local x, y = f(5)
	T.eq(x, 5, "yield value 1")
	T.eq(y, 6, "yield value 2")
	T.eq(f("end"), "end", "wrap resumes")
end

local function misuse()
	T.raises("Call profile.start() before profile.stop()", profile.stop)
	profile.start()
	T.raises("start profile more than once", profile.start)
	T.ok(profile.stop() >= 0, "stop after the failed second start")
	T.raises("thread expected", profile.start, "x")
	T.raises("thread expected", profile.stop, 1)
	T.raises("thread expected", profile.resume_co, 1, coroutine.running())
	T.raises("thread expected", profile.yield_co, {})
	-- a coroutine collected while timed leaves nothing behind
	for _ = 1, 100 do
		profile.start(coroutine.create(function() end))
	end
	collectgarbage()
	local co = coroutine.create(function() end)
	profile.start(co)
	T.ok(profile.stop(co) >= 0, "a new thread after collected ones")
end

T.run(function()
	suspended_time_left_out()
	other_coroutine()
	on_behalf_of()
	yield_and_wrap()
	misuse()
end)
