-- skynet.trace_timeout: while on, skynet.task lists each pending timeout
-- with "TIMER now+ti : " and the stack where skynet.timeout was called;
-- the entry goes when the timeout fires; off, timeouts are not listed.
local skynet = require "skynet"
local T = require "testlib"

local function set_timer(ti, fired)
	skynet.timeout(ti, function() fired[#fired + 1] = ti end) -- TIMER LINE
end

local function timer_tasks()
	local tasks = {}
	skynet.task(tasks)
	local found = {}
	for session, info in pairs(tasks) do
		if info:find("^TIMER ") then
			found[#found + 1] = { session = session, info = info }
		end
	end
	return found
end

T.run(function()
	local fired = {}
	T.eq(#timer_tasks(), 0, "no timers listed before trace_timeout")
	skynet.trace_timeout(true)
	local now = skynet.now()
	set_timer(5, fired)
	local found = timer_tasks()
	T.eq(#found, 1, "the pending timeout is listed")
	local info = found[1].info
	T.ok(info:find(string.format("^TIMER %d%%+5 : \nstack traceback:\n", now)), "TIMER now+ti header: " .. info)
	T.ok(info:find("test_trace_timeout.lua:8: in upvalue 'set_timer'", 1, true)
		or info:find("test_trace_timeout.lua:8: in local 'set_timer'", 1, true), "where the timeout was set: " .. info)
	T.eq(skynet.task(found[1].session), info, "task(session) gives the same")
	T.eq(skynet.task(), 1, "task() counts it")
	skynet.sleep(10)
	T.eq(fired[1], 5, "the traced timeout fires")
	T.eq(#timer_tasks(), 0, "a fired timeout is no longer listed")

	skynet.trace_timeout(false)
	set_timer(5, fired)
	T.eq(#timer_tasks(), 0, "trace_timeout off: not listed")
	skynet.sleep(10)
	T.eq(fired[2], 5, "the untraced timeout fires")
end)
