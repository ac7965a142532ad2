-- skynet.mqueue (one message at a time, in order, even across sleeps),
-- skynet.injectcode (code run inside a frame, reading and writing its
-- locals and upvalues), the cmemory service
local skynet = require "skynet"
local mqueue = require "skynet.mqueue"
local injectcode = require "skynet.injectcode"
local T = require "testlib"

local function queue()
	local s = skynet.newservice "mqueue_svc"
	local slow
	skynet.fork(function()
		slow = table.pack(mqueue.call(s, "slow", 30))
	end)
	skynet.sleep(1)
	for _, text in ipairs { "a", "b", "c" } do
		mqueue.send(s, "note", text)
	end
	T.eq(skynet.call(s, "lua"), 3, "three notes wait behind the sleeping handler")
	T.eq(mqueue.call(s, "fast"), "fast", "call answers")
	T.ok(slow, "the slow call ended before the fast one")
	T.eq(slow[1], "slow", "slow's first result")
	T.eq(slow[2], 30, "slow's second result")
	T.raises("refused", mqueue.call, s, "fail")
	mqueue.send(s, "fail")  -- logged by the service, which keeps going
	mqueue.send(s, "fast")  -- returns something to a send: logged
	local log = mqueue.call(s, "log")
	T.eq(table.concat(log, " "), "slow a b c fast fast", "one at a time, in arrival order")
	T.eq(skynet.call(s, "lua"), 0, "nothing waits")
end

local upvalue_count = 0

local function frame_of_caller(a, ...)
	local b = 10
	local before = upvalue_count -- makes upvalue_count an upvalue of this function
	local r = table.pack(injectcode([[
		b = b + a
		upvalue_count = upvalue_count + 1
		local inner = helper(b)
		return b, select("#", ...), inner
	]], nil, 0, { helper = function(x) return x * 2 end }))
	return r, b, before
end

local function inject()
	local r, b = frame_of_caller(1, "x", "y")
	T.eq(r[1], true, "ran: " .. tostring(r[2]))
	T.eq(r[2], 11, "read and wrote locals")
	T.eq(r[3], 2, "the frame's varargs")
	T.eq(r[4], 22, "the ext table")
	T.eq(b, 11, "the assignment reached the local")
	T.eq(upvalue_count, 1, "the assignment reached the upvalue")
	local ok, err = injectcode("return 1 +")
	T.eq(ok, false, "a compile error")
	T.ok(err:find("(debug)", 1, true), "names the chunk")
	local kept = 5
	ok, err = injectcode("kept = 6; error 'stop'")
	T.eq(ok, false, "a runtime error")
	T.ok(err:find("stop"), "its message")
	T.eq(kept, 5, "a failed run changes no local")
	local co = coroutine.create(function(x)
		local y = x * 2
		coroutine.yield()
		return y
	end)
	coroutine.resume(co, 5)
	ok, err = injectcode("y = y + 1; return x", co, 1)
	T.eq(ok, true, "a suspended coroutine's frame")
	T.eq(err, 5, "reads its local x")
	T.eq(select(2, coroutine.resume(co)), 11, "wrote its local y")
	T.eq(select(2, injectcode("return 1", co, 50)), "Invalid level", "a level that is not there")
	T.eq(select(2, injectcode("return undefined_global")), nil, "globals")
end

local function cmemory()
	local s = skynet.newservice "cmemory"
	skynet.sleep(5)
	T.raises(nil, skynet.call, s, "debug", "PING")
end

T.run(function()
	queue()
	inject()
	cmemory()
end)
