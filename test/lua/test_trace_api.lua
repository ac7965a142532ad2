-- skynet.trace_timeout: while on, skynet.task lists each pending timeout
-- with "TIMER now+ti : " and the stack where skynet.timeout was called;
-- the entry goes when the timeout fires; off, timeouts are not listed.
-- Wrong arguments to the trace functions raise Lua errors.
local skynet = require "skynet"
local T = require "testlib"

local timer_line -- the line of set_timer's skynet.timeout

local function set_timer(ti, fired)
	timer_line = debug.getinfo(1, "l").currentline; skynet.timeout(ti, function() fired[#fired + 1] = ti end)
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

local function bad_arguments()
	T.raises("bad argument #1", skynet.tracelog, nil, "x")
	T.raises("bad argument #2", skynet.tracelog, "tag", {})
	T.raises("bad argument #3", skynet.tracelog, "tag", "x", "level")
	T.raises("level out of range", skynet.tracelog, "tag", "x", -1)
	T.raises("bad argument #4", skynet.tracelog, "tag", "x", coroutine.running(), 1.5)
	skynet.tracelog("tag", "x", coroutine.running(), 1000) -- past the stack: no frames
	T.raises("unknown protocol", skynet.traceproto, "no such protocol", true)
	T.raises("call to invalid address", skynet.tracecall, "tag", 0x00fffff0, "lua", skynet.pack("x"))
end

T.run(function()
	bad_arguments()
	local fired = {}
	T.eq(#timer_tasks(), 0, "no timers listed before trace_timeout")
	skynet.trace_timeout(true)
	local now = skynet.now()
	set_timer(5, fired)
	local found = timer_tasks()
	T.eq(#found, 1, "the pending timeout is listed")
	local info = found[1].info
	T.ok(info:find(string.format("^TIMER %d%%+5 : \nstack traceback:\n", now)), "TIMER now+ti header: " .. info)
	T.ok(info:find(string.format("stack traceback:\n\t./test/lua/test_trace_api.lua:%d: in upvalue 'set_timer'\n", timer_line), 1, true),
		"where the timeout was set: " .. info)
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
