-- skynet.coroutine: user coroutines inside services that may also block in
-- skynet calls; their yields do not mix with the framework's
local skynet = require "skynet"
local coroutine = require "skynet.coroutine"
local T = require "testlib"

local function plain_use()
	local co = coroutine.create(function(a, b)
		local c = coroutine.yield(a + b)
		local d, e = coroutine.yield(c * 2)
		return d .. e
	end)
	T.eq(coroutine.status(co), "suspended", "new coroutine")
	T.eq(select(2, coroutine.resume(co, 1, 2)), 3, "first yield")
	T.eq(select(2, coroutine.resume(co, 5)), 10, "second yield")
	local ok, r = coroutine.resume(co, "x", "y")
	T.eq(ok, true, "finished")
	T.eq(r, "xy", "return value")
	T.eq(coroutine.status(co), "dead", "dead after return")
	T.eq(coroutine.resume(co), false, "cannot resume a dead coroutine")

	local gen = coroutine.wrap(function()
		for i = 1, 3 do
			coroutine.yield(i)
		end
		return "done"
	end)
	T.eq(gen() + gen() + gen(), 6, "wrap yields values")
	T.eq(gen(), "done", "wrap returns")

	local bad = coroutine.create(function() error("inside a coroutine") end)
	local ok2, err = coroutine.resume(bad)
	T.eq(ok2, false, "an error ends resume with false")
	T.ok(tostring(err):find("inside a coroutine", 1, true), "the error is returned")
	T.raises("wrapped failure", coroutine.wrap(function() error("wrapped failure") end))
	T.ok(coroutine.isyieldable(), "a service handler is yieldable")
	T.eq(type(coroutine.running()), "thread", "running")
end

local function with_skynet_calls(svc)
	local co = coroutine.create(function(x)
		local got = skynet.call(svc, "lua", "echo", x) -- blocks in the framework
		local y = coroutine.yield(got)
		skynet.sleep(1)
		return skynet.call(svc, "lua", "echo", y + 1)
	end)
	local ok, v = coroutine.resume(co, 41)
	T.eq(ok, true, "resume across skynet.call")
	T.eq(v, 41, "user yield after a skynet.call")
	ok, v = coroutine.resume(co, 99)
	T.eq(ok, true, "resume across skynet.sleep")
	T.eq(v, 100, "return after sleep and call")

	-- while it is blocked in the framework, the coroutine cannot be resumed
	local slow = coroutine.create(function()
		skynet.sleep(10)
		return "slept"
	end)
	local status, resumed
	skynet.fork(function()
		status = coroutine.status(slow)
		resumed = coroutine.resume(slow)
	end)
	local ok2, r = coroutine.resume(slow)
	T.eq(status, "blocked", "status while blocked in skynet.sleep")
	T.eq(resumed, false, "resume of a blocked coroutine fails")
	T.eq(ok2, true, "the blocked coroutine finishes")
	T.eq(r, "slept", "with its result")

	-- a producer/consumer pair over user yields with calls in between
	local producer = coroutine.wrap(function()
		for i = 1, 5 do
			coroutine.yield(skynet.call(svc, "lua", "echo", i * i))
		end
	end)
	local sum = 0
	for _ = 1, 5 do
		sum = sum + producer()
	end
	T.eq(sum, 55, "values produced across calls")
end

T.run(function()
	plain_use()
	with_skynet_calls(skynet.newservice("echo_svc"))
end)
