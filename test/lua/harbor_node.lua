-- One node of test_harbor.sh's harbor network: registers the global name
-- "node<harbor id>" and answers the driver.  On the node whose config has
-- harbor_driver, it also drives the checks, printing "ACTION kill" when the
-- shell must SIGKILL node harbor_victim.
local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"
local datacenter = require "skynet.datacenter"
local T = require "testlib"
local peer = require "harbor_peer"

local command, id = peer.commands()
local bumped = 0

function command.bumped()
	return bumped
end

function command.name(name)
	skynet.name(name, skynet.self())
end

function command.dcset(...)
	return datacenter.set(...)
end

function command.unique()
	return skynet.uniqueservice(true, "echo_svc"), skynet.queryservice(true, "echo_svc")
end

function command.hang()
	skynet.wait()
end

local function dispatch(session, _, cmd, ...)
	if cmd == "bump" then
		bumped = bumped + 1
		return
	end
	local f = assert(command[cmd], cmd)
	if session == 0 then
		f(...)
	else
		skynet.retpack(f(...))
	end
end

local function same(a, b, what)
	T.eq(type(b), type(a), what)
	if type(a) == "table" then
		for k, v in pairs(a) do
			same(v, b[k], what .. "." .. tostring(k))
		end
		for k in pairs(b) do
			T.ok(a[k] ~= nil, what .. ": extra key " .. tostring(k))
		end
	else
		T.eq(b, a, what)
	end
end

local function check_every_node(n)
	local handles = {}
	for i = 1, n do
		local h = harbor.queryname("node" .. i)
		T.eq(skynet.harbor(h), i, "node" .. i .. "'s handle carries its harbor id")
		handles[i] = h
		local rid, rh = skynet.call("node" .. i, "lua", "ping")
		T.eq(rid, i, "call node" .. i .. " by global name")
		T.eq(rh, h, "node" .. i .. "'s handle")
		T.eq(skynet.call(h, "lua", "ping"), i, "call node" .. i .. " by handle")
		T.eq(datacenter.get("nodes", i), h, "node" .. i .. " in the datacenter")
	end
	-- the other nodes reach each other too
	for i = 1, n do
		for j = 1, n do
			T.eq(skynet.call(handles[i], "lua", "relay", "node" .. j, "ping"), j,
				string.format("node%d calls node%d", i, j))
		end
	end
	return handles
end

local function check_traffic(h)
	local values = { "str", 1, -2, 1.5, true, { a = { 1, 2, { x = "y" } }, [10] = false } }
	local r = table.pack(skynet.call(h, "lua", "echo", nil, table.unpack(values)))
	T.eq(r.n, #values + 1, "value count")
	for i, v in ipairs(values) do
		same(v, r[i + 1], "value " .. i)
	end
	for _, size in ipairs { 65535, 65536, 1 << 20, 8 << 20 } do
		local big = string.rep("z", size - 7) .. "tail..."
		T.ok(skynet.call(h, "lua", "echo", big) == big, size .. " bytes there and back")
	end
	-- many calls in flight on one link
	local done, n = 0, 300
	for i = 1, n do
		skynet.fork(function()
			local _, v = skynet.call(h, "lua", "echo", i, i * 2)
			T.eq(v, i * 2, "call " .. i)
			done = done + 1
		end)
	end
	local deadline = skynet.now() + 1000
	while done < n and skynet.now() < deadline do
		skynet.sleep(1)
	end
	T.eq(done, n, "calls in flight answered")
	-- a figure for the log: sequential round trips over the link
	local t0, count = skynet.hpc(), 2000
	for i = 1, count do
		skynet.call(h, "lua", "echo", i)
	end
	skynet.error(string.format("harbor link: %.0f sequential calls/s to harbor %d",
		count / ((skynet.hpc() - t0) / 1e9), skynet.harbor(h)))
	-- one-way sends arrive in order, before a later call
	local before = skynet.call(h, "lua", "bumped")
	for _ = 1, 1000 do
		skynet.send(h, "lua", "bump")
	end
	T.eq(skynet.call(h, "lua", "bumped"), before + 1000, "1000 sends, then a call")
end

local function check_late_names(h)
	-- a query and a send for a name nobody registered yet wait for it
	local query = T.started(harbor.queryname, "late" .. id)
	local before = skynet.call(h, "lua", "bumped")
	skynet.send("late" .. id, "lua", "bump")
	skynet.sleep(20)
	skynet.call(h, "lua", "name", "late" .. id)
	local ok, got = query(500, "queryname of a late name")
	T.ok(ok, tostring(got))
	T.eq(got, h, "the late name's handle")
	T.eq(skynet.call(h, "lua", "bumped"), before + 1, "a send that waited for its name")
	T.eq(skynet.call("late" .. id, "lua", "ping"), skynet.harbor(h), "call by the late name")
	-- datacenter: wait here, set there
	local wait = T.started(datacenter.wait, "later", id)
	skynet.sleep(10)
	T.eq(skynet.call(h, "lua", "dcset", "later", id, "value"), nil, "nothing set before")
	local wok, v = wait(500, "datacenter.wait")
	T.ok(wok, tostring(v))
	T.eq(v, "value", "the waited value")
end

local function check_victim_dies(handles, victim)
	local link = T.started(harbor.link, victim)
	local hang = T.started(skynet.call, handles[victim], "lua", "hang")
	skynet.sleep(50)
	skynet.error("ACTION kill")
	local ok = link(1000, "harbor.link returns when the harbor dies")
	T.ok(ok, "harbor.link")
	local hok, herr = hang(500, "a call in flight to the dead node")
	T.ok(not hok, "the call in flight fails: " .. tostring(herr))
	local t0 = skynet.now()
	T.raises(nil, skynet.call, handles[victim], "lua", "ping")
	T.raises(nil, skynet.call, "node" .. victim, "lua", "ping")
	T.ok(skynet.now() - t0 < 100, "calls to a dead node fail at once")
	for i, h in ipairs(handles) do
		if i ~= victim then
			T.eq(skynet.call(h, "lua", "ping"), i, "node" .. i .. " still answers")
		end
	end
	T.eq(skynet.call(skynet.self(), "lua", "echo", "local"), "local", "local work goes on")
	-- harbor.link to a harbor that is down returns at once
	local again = T.started(harbor.link, victim)
	T.ok(again(200, "link to a dead harbor"), "link returns")
end

local function drive()
	local n = tonumber(skynet.getenv "harbor_count")
	local handles = check_every_node(n)
	for i = 1, n do
		if i ~= id then
			check_traffic(handles[i])
		end
	end
	check_late_names(handles[1])
	-- a global unique service is one for the whole network
	local u, q = skynet.call(handles[1], "lua", "unique")
	T.eq(q, u, "queryservice(true) on node 1")
	T.eq(skynet.uniqueservice(true, "echo_svc"), u, "uniqueservice(true) is the same everywhere")
	T.eq(skynet.queryservice(true, "echo_svc"), u, "queryservice(true) here")
	T.eq(skynet.harbor(u), 1, "made by the manager on the master's node")
	-- connect to a harbor that is already there returns
	T.ok(T.started(harbor.connect, 1)(200, "harbor.connect"), "harbor.connect")
	check_victim_dies(handles, tonumber(skynet.getenv "harbor_victim"))
end

skynet.start(function()
	skynet.dispatch("lua", dispatch)
	skynet.register("node" .. id)
	datacenter.set("nodes", id, skynet.self())
	skynet.error("HARBOR NODE READY " .. id)
	if skynet.getenv "harbor_driver" then
		skynet.fork(function()
			local ok, err = xpcall(drive, debug.traceback)
			skynet.error(ok and "TEST PASS" or "TEST FAIL: " .. tostring(err))
			skynet.abort()
		end)
	end
end)
