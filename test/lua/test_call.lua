-- send, call, ret, retpack, response, ignoreret, rawcall/rawsend, redirect,
-- calls by local name
local skynet = require "skynet"
require "skynet.manager"
local T = require "testlib"

local function echo_values(svc)
	local a, b, c, d, e = skynet.call(svc, "lua", "echo", 1, "two", 3.5, true, { k = "v" })
	T.eq(a, 1, "integer")
	T.eq(math.type(a), "integer", "integer stays integer")
	T.eq(b, "two", "string")
	T.eq(c, 3.5, "float")
	T.eq(d, true, "boolean")
	T.eq(e.k, "v", "table")
	-- nils in the middle and at the end survive a call
	local r = table.pack(skynet.call(svc, "lua", "echo", nil, 2, nil))
	T.eq(r.n, 3, "number of values with nils")
	T.eq(r[1], nil, "leading nil")
	T.eq(r[2], 2, "middle value")
	T.eq(select("#", skynet.call(svc, "lua", "echo")), 0, "no values")
end

local function send_is_ordered(svc)
	for i = 1, 1000 do
		skynet.send(svc, "lua", "inc", i)
	end
	-- messages from one source arrive in order, and before the later call
	T.eq(skynet.call(svc, "lua", "count"), 1000 * 1001 // 2, "sum of sent values")
end

local function response_closure(svc)
	local t0 = skynet.now()
	T.eq(skynet.call(svc, "lua", "delayed", 10, "late", 7), "late", "delayed answer")
	T.ok(skynet.now() - t0 >= 9, "delayed answer waited for its timer")
	T.eq(skynet.call(svc, "lua", "response_twice", "once"), "once", "first response wins")
	T.ok(skynet.call(svc, "lua", "last_response_error"):find("more than once", 1, true),
		"responding twice raises an error")
	T.raises(nil, skynet.call, svc, "lua", "response_false")
	T.eq(skynet.call(svc, "lua", "echo", "alive"), "alive", "service alive after response(false)")
end

local function raw_messages(svc)
	T.eq(skynet.call(svc, "lua", "ret", "via ret", 9), "via ret", "skynet.ret of a packed message")
	local msg, sz = skynet.rawcall(svc, "lua", skynet.pack("echo", "raw", 42))
	T.eq(type(sz), "number", "rawcall returns msg, sz")
	local s, n = skynet.unpack(msg, sz)
	T.eq(s, "raw", "rawcall reply")
	T.eq(n, 42, "rawcall reply second value")
	local before = skynet.call(svc, "lua", "count")
	skynet.rawsend(svc, "lua", skynet.pack("inc", 5))
	T.eq(skynet.call(svc, "lua", "count"), before + 5, "rawsend delivered")
end

local function by_name(svc)
	skynet.name(".echo_by_name", svc)
	T.eq(skynet.localname(".echo_by_name"), svc, "localname finds the service")
	T.eq(skynet.call(".echo_by_name", "lua", "echo", "named"), "named", "call by name")
	local before = skynet.call(svc, "lua", "count")
	skynet.send(".echo_by_name", "lua", "inc", 3)
	T.eq(skynet.call(".echo_by_name", "lua", "count"), before + 3, "send by name")
end

-- redirect: the message reaches svc as if another service had sent it
local function redirect(svc, relay)
	local before = skynet.call(svc, "lua", "count")
	skynet.redirect(svc, relay, "lua", 0, skynet.pack("inc", 11))
	T.eq(skynet.call(svc, "lua", "count"), before + 11, "redirected message delivered")
	T.eq(skynet.call(svc, "lua", "inc_source"), relay, "redirected message has the given source")
	skynet.send(svc, "lua", "inc", 1)
	T.eq(skynet.call(svc, "lua", "inc_source"), skynet.self(), "a plain send has the sender as source")
end

-- after ignoreret a handler has no session to answer: skynet.ret refuses,
-- and nothing (not even an error) goes back to the caller
local function ignoreret()
	local ret_ok
	skynet.dispatch("lua", function()
		skynet.ignoreret()
		ret_ok = pcall(skynet.retpack, "answer")
	end)
	local req = skynet.request()
	req:add { skynet.self(), "lua", "question" }
	local answers = 0
	for _ in req:select(20) do
		answers = answers + 1
	end
	T.eq(answers, 0, "no answer after ignoreret")
	T.eq(req.timeout, true, "the request timed out")
	T.eq(ret_ok, false, "skynet.ret after ignoreret raises")
end

-- a service can call itself: the handler runs in another coroutine
local function call_self()
	skynet.dispatch("lua", function(_, _, a, b)
		skynet.retpack(a + b)
	end)
	T.eq(skynet.call(skynet.self(), "lua", 2, 40), 42, "call to self")
end

T.run(function()
	local svc = skynet.newservice("echo_svc")
	local relay = skynet.newservice("echo_svc")
	echo_values(svc)
	send_is_ordered(svc)
	response_closure(svc)
	raw_messages(svc)
	by_name(svc)
	redirect(svc, relay)
	call_self()
	ignoreret()
end)
