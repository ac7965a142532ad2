-- Interop, our node calling skynet's examples/cluster1.lua (run on the
-- reference skynet): the calls of skynet's examples/cluster2.lua, plus
-- values of every type through skynet's own serialisation.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"

local function same(a, b)
	if type(a) ~= "table" or type(b) ~= "table" then
		return a == b or (a ~= a and b ~= b)
	end
	for k, v in pairs(a) do
		if not same(v, b[k]) then return false end
	end
	for k in pairs(b) do
		if a[k] == nil then return false end
	end
	return true
end

local function check(what, ok, ...)
	print(ok and "ok" or "FAILED", what, ...)
	if not ok then
		print("INTEROP FAIL")
		skynet.abort()
	end
end

skynet.start(function()
	cluster.reload { db = "127.0.0.1:2528", db2 = "127.0.0.1:2529", __nowaiting = true }
	local proxy = cluster.proxy "db@sdb"
	local largekey = string.rep("X", 128 * 1024)
	local largevalue = string.rep("R", 100 * 1024)
	skynet.call(proxy, "lua", "SET", largekey, largevalue)
	check("large SET/GET through a proxy", skynet.call(proxy, "lua", "GET", largekey) == largevalue)
	skynet.send(proxy, "lua", "PING", "proxy")
	check("call @sdb on db", cluster.call("db", "@sdb", "GET", "a") == "foobar")
	check("call @sdb on db2", cluster.call("db2", "@sdb", "GET", "b") == "foobar2")
	local h = cluster.query("db", "sdb")
	check("query sdb", math.type(h) == "integer", h)
	check("call by handle", cluster.call("db", h, "GET", "a") == "foobar")
	check("unknown name", not pcall(cluster.query, "db", "nosuchname"))
	check("remote error", not pcall(cluster.call, "db", "@sdb", "NOSUCHCMD"))
	local value = {
		1, -1, 0, 255, 256, 65535, 65536, 2^31 - 1, -2^31, math.maxinteger, math.mininteger,
		3.25, -0.5, 1e300, true, false, "", "short", string.rep("s", 31), string.rep("m", 32),
		string.rep("L", 70000),
		{ nested = { deeper = { 1, 2, { x = "y" } } }, [10] = "ten", [-3] = "neg", [2.5] = "float key" },
		array = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
			21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33 },
	}
	cluster.call("db", "@sdb", "SET", "typed", value)
	local back = cluster.call("db", "@sdb", "GET", "typed")
	check("every value type round trip through skynet", same(value, back))
	for _, n in ipairs { 0x7fff, 0x8000, 0x8001, 0x10000 - 1, 3 * 0x8000 } do
		local v = string.rep("b", n)
		cluster.call("db2", "@sdb", "SET", "edge", v)
		check("value of " .. n .. " bytes", cluster.call("db2", "@sdb", "GET", "edge") == v)
	end
	cluster.send("db2", "@sdb", "PING", "db2:longstring" .. largevalue)
	-- many calls in flight on one connection
	local done, good = 0, 0
	for i = 1, 200 do
		skynet.fork(function()
			if cluster.call("db", "@sdb", "SET", "k" .. i, i) == nil and cluster.call("db", "@sdb", "GET", "k" .. i) == i then
				good = good + 1
			end
			done = done + 1
		end)
	end
	while done < 200 do skynet.sleep(1) end
	check("200 concurrent calls", good == 200, good)
	print("INTEROP PASS")
	skynet.abort()
end)
