-- service life: self, address, harbor, newservice with arguments,
-- uniqueservice, queryservice, register/name, exit, kill, launch
local skynet = require "skynet"
require "skynet.manager"
local T = require "testlib"

local function identity()
	local me = skynet.self()
	T.eq(math.type(me), "integer", "self is an integer handle")
	T.ok(me > 0 and me <= 0xffffff, "a standalone node's handles have harbor 0")
	T.eq(skynet.address(me), string.format(":%08x", me), "address formats a handle")
	T.eq(skynet.address(".x"), ".x", "address keeps a name")
	local harbor, remote = skynet.harbor(me)
	T.eq(harbor, 0, "harbor id of a standalone node")
	T.eq(remote, false, "own handle is not remote")
	T.ok(skynet.localname(".launcher"), "the launcher is registered as .launcher")
	T.eq(skynet.localname(".no_such_name"), nil, "unknown local name")
end

local function arguments()
	local svc = skynet.newservice("echo_svc", "alpha", 42, "x y")
	local r = table.pack(skynet.call(svc, "lua", "args"))
	-- arguments travel as one space-separated string, like skynet
	T.eq(r.n, 4, "argument count")
	T.eq(r[1], "alpha", "first argument")
	T.eq(r[2], "42", "numbers arrive as strings")
	T.eq(r[3] .. " " .. r[4], "x y", "spaces split arguments")
	T.eq(skynet.call(svc, "lua", "self"), svc, "newservice returns the new handle")
	local other = skynet.newservice("echo_svc")
	T.ok(other ~= svc, "each newservice is a new service")
	T.eq(select("#", skynet.call(other, "lua", "args")), 0, "no arguments")
end

local function unique()
	local a = skynet.uniqueservice("echo_svc", "unique")
	local b = skynet.uniqueservice("echo_svc", "ignored")
	T.eq(a, b, "uniqueservice starts one service per name")
	T.eq(skynet.call(a, "lua", "args"), "unique", "the first uniqueservice's arguments")
	T.eq(skynet.queryservice("echo_svc"), a, "queryservice finds it")
	-- queryservice waits until another coroutine's uniqueservice is done
	local found
	skynet.fork(function() found = skynet.queryservice("slow_start_svc") end)
	skynet.yield()
	local slow = skynet.uniqueservice("slow_start_svc")
	skynet.sleep(1)
	T.eq(found, slow, "queryservice waited for the unique service")
end

local function names()
	local svc = skynet.newservice("echo_svc")
	skynet.name(".renamed", svc)
	T.eq(skynet.localname(".renamed"), svc, "name gives another service a name")
	skynet.register(".tester")
	T.eq(skynet.localname(".tester"), skynet.self(), "register names the caller")
	T.eq(skynet.call(".renamed", "lua", "echo", "hi"), "hi", "call by name")
	-- a taken name keeps its first owner
	pcall(skynet.name, ".renamed", skynet.self())
	T.eq(skynet.localname(".renamed"), svc, "a taken name is not taken over")
end

local function exit_and_kill()
	local svc = skynet.newservice("echo_svc")
	skynet.name(".doomed", svc)
	T.raises(nil, skynet.call, svc, "lua", "exit_now")
	skynet.sleep(1)
	T.raises(nil, skynet.call, svc, "lua", "echo", 1)
	T.eq(skynet.localname(".doomed"), nil, "an exited service's name is gone")
	local list = skynet.call(".launcher", "lua", "LIST")
	T.eq(list[skynet.address(svc)], nil, "an exited service leaves the launcher's list")

	local victim = skynet.newservice("echo_svc")
	list = skynet.call(".launcher", "lua", "LIST")
	T.ok(list[skynet.address(victim)]:find("echo_svc", 1, true), "launcher lists the service")
	skynet.kill(victim)
	T.raises(nil, skynet.call, victim, "lua", "echo", 1)
	list = skynet.call(".launcher", "lua", "LIST")
	T.eq(list[skynet.address(victim)], nil, "a killed service leaves the launcher's list")
end

local function launch()
	-- skynet.launch starts a service without the launcher
	local h = skynet.launch("snlua", "echo_svc raw_launch")
	T.ok(h, "launch returns a handle")
	T.eq(skynet.call(h, "lua", "args"), "raw_launch", "launched service got its argument")
	skynet.kill(h)
end

T.run(function()
	identity()
	arguments()
	unique()
	names()
	exit_and_kill()
	launch()
end)
