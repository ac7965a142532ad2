-- Session ids wrap around at 2^31 without a response ever reaching the wrong
-- waiting call: calls, sleeps and waits still pending at low session numbers
-- are skipped when the counter comes round to them.  Weeks of traffic are
-- simulated by moving this service's session counter (skynet.core's
-- lastsession, the dispatcher's).
local skynet = require "skynet"
local T = require "testlib"

local TOP = 0x7fffffff

-- set_counter(n): the next session allocated is n + 1 (skipping pending ones)
local set_counter = require("skynet.core").lastsession

-- T.started, for threads that must not raise: the waiter gives their results
local function started(f, ...)
	local wait = T.started(f, ...)
	return function(ticks, what)
		local result = table.pack(wait(ticks, what))
		T.ok(result[1], what .. " raised " .. tostring(result[2]))
		return table.unpack(result, 2, result.n)
	end
end

T.run(function()
	local svc = skynet.newservice("echo_svc")

	-- long-lived waits at sessions 11, 12 and 13
	set_counter(10)
	local pending_call = started(skynet.call, svc, "lua", "sleep_echo", 150, "the first call")
	local sleep_start = skynet.now()
	local pending_sleep = started(function()
		skynet.sleep(120)
		return skynet.now() - sleep_start
	end)
	local waiter
	local pending_wait = started(function()
		waiter = coroutine.running()
		skynet.wait()
		return "woken"
	end)
	skynet.yield()

	-- weeks later: the counter is about to wrap
	set_counter(TOP - 20)
	local last, wrapped = TOP - 20, false
	for i = 1, 60 do
		T.eq(skynet.call(svc, "lua", "echo", i), i, "sequential call " .. i .. " across the wrap")
		local id = skynet.genid()
		T.eq(set_counter(), id, "lastsession tells the id genid handed out")
		T.ok(id >= 1 and id <= TOP, "session " .. id .. " in range")
		T.ok(id ~= 11 and id ~= 12 and id ~= 13, "pending session " .. id .. " handed out again")
		if id < last then
			wrapped = true
		end
		last = id
	end
	T.ok(wrapped, "the session counter wrapped around")

	-- concurrent calls answered out of order across the wrap
	set_counter(TOP - 10)
	local calls = {}
	for i = 1, 30 do
		calls[i] = started(skynet.call, svc, "lua", "sleep_echo", (i * 7) % 11, i)
	end
	for i = 1, 30 do
		T.eq(calls[i](300, "concurrent call " .. i), i, "concurrent call " .. i .. " got its own answer")
	end

	-- the old waits were not disturbed by the new traffic
	T.eq(pending_call(300, "the first call"), "the first call", "the call pending across the wrap")
	local slept = pending_sleep(300, "the pending sleep")
	T.ok(slept >= 119, "the pending sleep was not cut short, it lasted " .. slept)
	skynet.wakeup(waiter)
	T.eq(pending_wait(100, "the pending wait"), "woken", "the pending wait")

	-- the low-level ways to get a session (a send with a nil session, the
	-- TIMEOUT command) take them from the same allocator: never an id a
	-- call still waits on
	set_counter(0)
	local waiting = {}
	for i = 1, 20 do
		waiting[i] = started(skynet.call, svc, "lua", "sleep_echo", 50, i)
	end
	skynet.sleep(1) -- the calls are on their way
	local core = require "skynet.core"
	local unanswered = 0
	local previous = skynet.dispatch_unknown_response(function() unanswered = unanswered + 1 end)
	local seen = {}
	for _ = 1, 40 do
		local a = core.send(svc, skynet.PTYPE_LUA, nil, skynet.pack("echo", 0))
		local b = core.intcommand("TIMEOUT", 1000)
		T.ok(a > 20 and b > 20, "low-level sessions " .. a .. ", " .. b .. " above the 20 pending calls")
		T.ok(not seen[a] and not seen[b] and a ~= b, "low-level sessions unique")
		seen[a], seen[b] = true, true
	end
	for i = 1, 20 do
		T.eq(waiting[i](300, "call " .. i), i, "call " .. i .. " got its own answer")
	end
	skynet.dispatch_unknown_response(previous)
	T.eq(unanswered, 40, "the answers to the nil-session sends came back as unknown sessions")
end)
