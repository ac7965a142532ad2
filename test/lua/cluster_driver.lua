-- Node A of test/sh/test_cluster.sh: calls node B (cluster_node.lua) and
-- checks what comes back.  Steps that need the shell (killing, stopping,
-- restarting B) print "ACTION name" and wait for cluster_scratch/name.done.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"
local T = require "testlib"

local scratch = skynet.getenv "cluster_scratch"

local function action(name)
	T.shell_action(scratch, name)
end

-- seconds f(...) took, and what pcall returned; fails past limit seconds
local function timed(limit, what, f, ...)
	local t0 = skynet.hpc()
	local wait = T.started(f, ...)
	local r = table.pack(wait(limit * 100, what))
	return (skynet.hpc() - t0) / 1e9, table.unpack(r, 1, r.n)
end

local function basics()
	local a, b, c = cluster.call("nb", "@peer", "echo", 1, "two", { three = 3 })
	T.eq(a, 1, "first result")
	T.eq(b, "two", "second result")
	T.eq(c.three, 3, "table result")
	T.eq(select("#", cluster.call("nb", "@peer", "echo", nil, nil)), 2, "nil results keep their count")
	T.eq(cluster.call("nb", ".peer", "echo", "dot"), "dot", "a .local name on the node")
	local h = cluster.query("nb", "peer")
	T.eq(math.type(h), "integer", "query gives a handle")
	T.eq(cluster.call("nb", h, "echo", "handle"), "handle", "a handle on the node")
	T.raises("call failed", cluster.query, "nb", "nosuchname")
	T.raises("call failed", cluster.call, "nb", "@nosuchname", "echo")
	-- sends arrive in order, before a later call
	for i = 1, 100 do
		cluster.send("nb", "@peer", "set", "n", i)
	end
	T.eq(cluster.call("nb", "@peer", "get", "n"), 100, "sends in order")
end

local function proxies()
	local p = cluster.proxy("nb", "@peer")
	T.eq(skynet.call(p, "lua", "echo", "via proxy"), "via proxy", "proxy call")
	T.eq(cluster.proxy "nb@peer", p, "node@name form gives the same proxy")
	skynet.send(p, "lua", "set", "proxied", 7)
	T.eq(skynet.call(p, "lua", "get", "proxied"), 7, "proxy send")
	local dot = cluster.proxy "nb.peer"
	T.eq(skynet.call(dot, "lua", "echo", "dot proxy"), "dot proxy", "node.name form")
	T.raises("call failed", skynet.call, p, "lua", "fail", "through proxy")
	local big = string.rep("p", 100000)
	T.eq(skynet.call(p, "lua", "len", big), #big, "large argument through a proxy")
end

-- a snax service on the other node, through cluster.snax
local function snax_remote()
	local obj = cluster.snax("nb", "pingsvc")
	T.eq(obj.req.ping("remote ping"), "remote ping", "snax request over the cluster")
	local _, name, args = obj.req.whoami()
	T.eq(name, "pingsvc", "the remote snax service")
	T.eq(args, "on nb", "its init arguments")
	obj.post.hello()
	T.eq(obj.req.count(), 1, "a snax post over the cluster, then a request")
	T.raises("call failed", obj.req.error)
end

local function large()
	for _, n in ipairs { 0x7fff - 8, 0x7fff, 0x8000, 0x8001, 65535, 100000, 1024 * 1024 } do
		local arg = string.rep("a", n - 1) .. "!"
		local len, head, tail = cluster.call("nb", "@peer", "len", arg)
		T.eq(len, n, n .. "-byte argument")
		T.eq(head .. tail, arg:sub(1, 8) .. arg:sub(-8), n .. "-byte argument ends")
		local s, m = cluster.call("nb", "@peer", "big", n, "r")
		T.eq(m, n, n .. "-byte result count")
		T.ok(s == string.rep("r", n), n .. "-byte result")
	end
	-- and back: B calls A
	local s = cluster.call("nb", "@peer", "callback", "na", "@peer", "big", 200000, "c")
	T.ok(s == string.rep("c", 200000), "B calls A with a large result")
	T.eq(cluster.call("nb", "@peer", "callback", "na", "@peer", "len", string.rep("d", 70000)), 70000,
		"B calls A with a large argument")
	cluster.send("nb", "@peer", "set", "bigsend", string.rep("s", 300000))
	T.eq(#cluster.call("nb", "@peer", "get", "bigsend"), 300000, "large send")
end

-- n bytes that differ from place to place (a part put in the wrong place,
-- or cut a byte short, changes them): seed's pseudo-random words
local function patterned(n, seed)
	local words, x = {}, seed
	for i = 1, n // 4 + 1 do
		x = (x * 1103515245 + 12345) % 2147483648
		words[i] = string.pack("<I4", x)
	end
	return table.concat(words):sub(1, n)
end

-- messages of 1 MB and 5 MB both ways, byte for byte; one-way messages in
-- parts and small ones between them keep their order
local function very_large()
	for _, n in ipairs { 1024 * 1024, 5 * 1024 * 1024 + 3 } do
		local arg = patterned(n, n)
		local back, len = cluster.call("nb", "@peer", "echo", arg, n)
		T.eq(len, n, n .. "-byte echo: the value after it")
		T.ok(back == arg, n .. "-byte argument and answer, byte for byte")
	end
	local big = patterned(1024 * 1024, 7)
	for i = 1, 6 do
		cluster.send("nb", "@peer", "seq", "mixed", i * 2 - 1)
		cluster.send("nb", "@peer", "set", "mixed big " .. i, big)
		cluster.send("nb", "@peer", "seq", "mixed", i * 2)
	end
	T.eq(cluster.call("nb", "@peer", "get", "mixed"), 12, "small one-way messages around large ones, in order")
	T.eq(cluster.call("nb", "@peer", "get", "gap mixed"), nil, "none out of order")
	T.ok(cluster.call("nb", "@peer", "get", "mixed big 6") == big, "the last 1 MB one-way message, byte for byte")
end

local function errors()
	local lerr = T.raises("call failed", skynet.call, ".peer", "lua", "fail", "local")
	local rerr = T.raises("call failed", cluster.call, "nb", "@peer", "fail", "remote")
	T.ok(lerr:match "call failed: service" and rerr:match "call failed: service", "remote errors read like local ones")
	T.eq(cluster.call("nb", "@peer", "echo", "after error"), "after error", "the connection survives an error")
	local took, ok, err = timed(1, "unknown node", cluster.call, "nz", "@peer", "echo")
	T.ok(not ok and tostring(err):find("cluster node [nz] is absent.", 1, true), "unknown node: " .. tostring(err))
	T.ok(took < 0.5, "unknown node fails at once")
end

local function in_flight()
	local n, good = 500, 0
	local waits = {}
	for i = 1, n do
		waits[i] = T.started(function()
			local v = cluster.call("nb", "@peer", "echo", i, string.rep("x", i % 3 == 0 and 40000 or 10))
			if v == i then
				good = good + 1
			end
		end)
	end
	for i = 1, n do
		waits[i](3000, "call " .. i)
	end
	T.eq(good, n, "concurrent calls answered right")
	action "one-connection" -- the shell counts our connections to B
end

local function down_nodes()
	local took, ok = timed(3, "a node that refuses", cluster.call, "ndown", "@peer", "echo")
	T.ok(not ok, "a node that is down fails")
	T.ok(took < 1, "refused at once (" .. took .. " s)")
	took, ok = timed(5, "a node that never answers the connect", cluster.call, "nhang", "@peer", "echo")
	T.ok(not ok, "a connect that hangs fails")
	T.ok(took >= 0.8 and took < 3, "after the configured 1 s (" .. took .. " s)")
	took, ok = timed(5, "again", cluster.call, "nhang", "@peer", "echo")
	T.ok(not ok and took < 3, "and again")
end

local function killed_mid_call()
	local waits = {}
	for i = 1, 20 do
		waits[i] = T.started(cluster.call, "nb", "@peer", "sleep", 1000)
	end
	skynet.sleep(30)
	local t0 = skynet.hpc()
	action "kill-b"
	for i = 1, 20 do
		local ok = waits[i](300, "call in flight on a killed node")
		T.ok(not ok, "a call in flight fails when the node dies")
	end
	T.ok((skynet.hpc() - t0) / 1e9 < 2, "and soon")
	local took, ok = timed(3, "call to the dead node", cluster.call, "nb", "@peer", "echo", 1)
	T.ok(not ok and took < 1, "a call to the dead node fails at once")
	action "restart-b"
	T.eq(cluster.call("nb", "@peer", "echo", "back"), "back", "the restarted node is reconnected")
end

local function silent_node()
	action "stop-b"
	local took, ok = timed(6, "call to a stopped node", cluster.call, "nb", "@peer", "echo", 1)
	T.ok(not ok, "a call to a stopped node fails")
	T.ok(took >= 1.5 and took < 4, "after twice the configured 1 s of silence (" .. took .. " s)")
	action "cont-b"
	T.eq(cluster.call("nb", "@peer", "echo", "awake"), "awake", "the node is reached again")
	-- a slow answer is not silence: the node answers the probes
	T.eq(cluster.call("nb", "@peer", "sleep", 400), "slept", "a 4 s call on a 1 s timeout")
end

local function reloads()
	local address = skynet.getenv "nb_address"
	cluster.reload { nb = false }
	T.raises("call failed", cluster.call, "nb", "@peer", "echo", 1)
	T.raises("is down", cluster.proxy, "nb", "@nosuch")
	cluster.reload { nb = address }
	T.eq(cluster.call("nb", "@peer", "echo", "up"), "up", "back after reload")
	-- a send made before the node's sender is known is queued, not lost
	cluster.reload { nb_alias = address }
	cluster.send("nb_alias", "@peer", "set", "early", "yes")
	T.eq(cluster.call("nb_alias", "@peer", "get", "early"), "yes", "send made before the first call")
	-- reload() re-reads the file named by the config key cluster
	local name = skynet.getenv "cluster"
	local f = assert(io.open(name, "a"))
	f:write(string.format("nb_file = %q\n", address))
	f:close()
	cluster.reload()
	T.eq(cluster.call("nb_file", "@peer", "echo", "file"), "file", "a node added to the file")
	-- a caller waits for a node named later unless __nowaiting
	cluster.reload { __nowaiting = false }
	local wait = T.started(cluster.call, "nlate", "@peer", "echo", "late")
	skynet.sleep(50)
	cluster.reload { nlate = address }
	local ok, v = wait(500, "call to a node named later")
	T.ok(ok and v == "late", "the waiting call goes through once the node is named")
	cluster.reload { __nowaiting = true }
	-- open(port) listens on every address
	local port = tonumber(skynet.getenv "spare_port")
	cluster.open(port)
	cluster.reload { na_port = "127.0.0.1:" .. port }
	T.eq(cluster.call("na_port", "@peer", "echo", "port"), "port", "a node opened by port")
	cluster.unregister "peer"
	T.raises("call failed", cluster.call, "na", "@peer", "echo")
end

T.run(function()
	local peer = skynet.newservice("cluster_peer")
	skynet.name(".peer", peer)
	cluster.register("peer", peer)
	cluster.open "na"
	basics()
	proxies()
	snax_remote()
	large()
	very_large()
	errors()
	in_flight()
	down_nodes()
	killed_mid_call()
	silent_node()
	reloads()
end)
