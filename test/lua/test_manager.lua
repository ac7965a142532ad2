-- skynet.manager: filter, forward_type (a redirecting proxy), monitor
local skynet = require "skynet"
require "skynet.manager"
local T = require "testlib"

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	pack = skynet.pack,
	unpack = skynet.unpack,
}

local function filter()
	local svc = skynet.newservice("filter_svc")
	T.eq(skynet.call(svc, "client", "via client", 1), "via client", "the filter turned a client request into lua")
	T.eq(select(2, skynet.call(svc, "lua", "plain", 2)), 2, "lua requests pass the filter")
	T.ok(skynet.call(svc, "lua", "seen") >= 3, "the filter saw every message")
end

local function forward()
	local echo = skynet.newservice("echo_svc")
	local proxy = skynet.newservice("forward_svc", echo)
	T.eq(skynet.call(proxy, "lua", "ping"), "pong", "the proxy serves its own lua requests")
	for i = 1, 100 do
		T.eq(skynet.call(proxy, "client", "echo", i, "through"), i, "a forwarded request answered by the target")
	end
	T.eq(select(2, skynet.call(proxy, "client", "echo", 0, "second")), "second", "all values arrive")
	-- the target saw the original caller, not the proxy
	skynet.send(proxy, "client", "inc", 1)
	skynet.sleep(2) -- the redirected message takes a detour through the proxy
	T.eq(skynet.call(echo, "lua", "inc_source"), skynet.self(), "redirected with the caller as source")
end

local function monitor()
	local mon = skynet.monitor("monitor_svc")
	T.ok(mon, "monitor started")
	local a = skynet.newservice("echo_svc")
	local b = skynet.newservice("echo_svc")
	skynet.kill(a)
	pcall(skynet.call, b, "lua", "exit_now")
	skynet.sleep(5)
	local exited = {}
	for _, h in ipairs(skynet.call(mon, "lua", "list")) do
		exited[h] = true
	end
	T.ok(exited[a], "the monitor heard of the killed service")
	T.ok(exited[b], "the monitor heard of the service that exited")
end

-- skynet.kill takes a handle, an ":address" or a ".name"; it says whether
-- there was such a service, and the killed one answers nothing more
local function kill()
	local by_number = skynet.newservice("echo_svc")
	T.eq(skynet.kill(by_number), true, "killed by handle")
	T.eq(skynet.kill(by_number), false, "a dead handle is not killed twice")
	T.ok(not pcall(skynet.call, by_number, "lua", "ping"), "a call to the killed service fails")
	local by_address = skynet.newservice("echo_svc")
	T.eq(skynet.kill(skynet.address(by_address)), true, "killed by :address")
	local by_name = skynet.newservice("echo_svc")
	skynet.name(".kill_me", by_name)
	T.eq(skynet.kill(".kill_me"), true, "killed by name")
	T.ok(not pcall(skynet.call, by_name, "lua", "ping"), "the named service is gone")
	T.eq(skynet.kill(".no_such_service"), false, "an unknown name kills nothing")
	T.eq(skynet.kill(0x7ffffff), false, "an unknown handle kills nothing")
	T.eq(skynet.call(skynet.newservice("echo_svc"), "lua", "echo", 7), 7, "the node goes on")
end

T.run(function()
	kill()
	filter()
	forward()
	monitor()
end)
