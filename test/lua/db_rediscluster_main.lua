-- skynet.db.redis.cluster against a real 3-master redis cluster
-- (test/sh/test_db_rediscluster.sh makes it; redis_cluster_ports lists the
-- ports).  Covers skynet's testrediscluster.lua and: crc16 and hash tags
-- against the server's CLUSTER KEYSLOT, keys spread over every node, MOVED
-- after a wrong slot map, ASK while a slot migrates, scripts, pub/sub.
local skynet = require "skynet"
local rediscluster = require "skynet.db.redis.cluster"
local crc16 = require "skynet.db.redis.crc16"
local T = require "testlib"

local ports = {}
for port in skynet.getenv("redis_cluster_ports"):gmatch("%d+") do
	ports[#ports + 1] = math.tointeger(port)
end

local received = {}
local function onmessage(data, channel, pattern)
	received[#received + 1] = { data = data, channel = channel, pattern = pattern }
end

local function wait_until(what, ok)
	local deadline = skynet.now() + 500
	while not ok() do
		T.ok(skynet.now() < deadline, what)
		skynet.sleep(2)
	end
end

local function test_keyslot(db)
	T.eq(crc16 "123456789", 0x31C3, "crc16 check value")
	T.eq(db:keyslot "foo", 12182, "slot of foo")
	local conn = db:get_random_connection()
	local keys = { "", "a", "user:1000", "{user1000}.following", "{user1000}.followers",
		"foo{}{bar}", "foo{{bar}}zap", "foo{bar}{zap}", "{}", "{", "}{x}", "\0\255bin" }
	for i = 1, 200 do
		keys[#keys + 1] = "key:" .. i * 7919
	end
	for _, key in ipairs(keys) do
		T.eq(db:keyslot(key), conn:cluster("keyslot", key), "slot of " .. string.format("%q", key))
	end
	T.eq(db:keyslot "{user1000}.following", db:keyslot "{user1000}.followers", "hash tags")
end

-- skynet's testrediscluster.lua
local function test_commands(db)
	db:del "list"
	db:del "map"
	T.eq(db:rpush("list", 1, 2, 3), 3, "RPUSH")
	T.eq(table.concat(db:lrange("list", 0, -1), ","), "1,2,3", "LRANGE")
	db:hmset("map", "key1", 1, "key2", 2)
	local map = db:hgetall "map"
	T.eq(table.concat(map, ","), "key1,1,key2,2", "HGETALL")
	T.eq(db:hmset { "map2", "a", 1 }, "OK", "arguments in a table")
	T.eq(db:exists "map2", true, "EXISTS through the cluster")

	-- without a slot map every command starts at a random node
	db:flush_slots_cache()
	T.eq(db:set("A", 1), "OK", "SET after flush_slots_cache")
	T.eq(db:get "A", "1", "GET after flush_slots_cache")
	local count = 0
	for _ in pairs(db.connections) do
		count = count + 1
	end
	T.ok(count >= 1 and count <= 3, "connections cached: " .. count)
	db:close_all_connection()
	T.eq(next(db.connections), nil, "close_all_connection")
	T.eq(db:set("A", 1), "OK", "SET after closing every connection")
	T.eq(db:del "A", 1, "DEL")

	-- the map was flushed above: a MOVED since then may or may not have
	-- brought it back (with 1 chance in 3 per command, a random node was
	-- the right one), and a pipeline does not follow MOVED
	db:initialize_slots_cache()
	local conn = db:get_connection_by_slot(db:keyslot "{foo}")
	local ret = conn:pipeline({
		{ "hincrby", "{foo}hello", 1, 1 },
		{ "del", "{foo}hello" },
		{ "hmset", "{foo}hello", 1, 1, 2, 2, 3, 3 },
		{ "hgetall", "{foo}hello" },
	}, {})
	T.eq(ret[1].out, 1, "pipeline HINCRBY")
	T.eq(ret[2].out, 1, "pipeline DEL")
	T.eq(ret[3].out, "OK", "pipeline HMSET")
	T.eq(table.concat(ret[4].out, ","), "1,1,2,2,3,3", "pipeline HGETALL")

	local slots = db:cluster "slots"
	T.eq(#slots, 3, "CLUSTER SLOTS ranges")
	local covered = 0
	for _, range in ipairs(slots) do
		covered = covered + range[2] - range[1] + 1
	end
	T.eq(covered, 16384, "every slot is served")
	T.ok(db:cluster("nodes"):find("myself", 1, true), "CLUSTER NODES")

	db:set("A", 1)
	local script = [[
		if redis.call("get", KEYS[1]) == ARGV[1] then return "ok" else return "fail" end]]
	T.eq(db:eval(script, 1, "A", 1), "ok", "EVAL with a key")
	T.eq(db:eval(script, 1, "A", 2), "fail", "EVAL again")
	T.eq(db:eval("return 7", 0), 7, "EVAL without keys")
	T.raises("all keys must map to the same key slot", db.eval, db, "return 1", 2, "a", "b")
	db:del "A"
	T.raises("No way to dispatch this command to Redis Cluster", db.multi, db)
	T.raises("No way to dispatch this command to Redis Cluster", db.ping, db)
	T.raises("WRONGTYPE", db.incr, db, "list")
end

-- 300 keys land on all three masters
local function test_spread(db)
	for i = 1, 300 do
		db:set("spread:" .. i, i)
	end
	local total = 0
	T.eq(#db.nodes, 3, "three masters")
	for _, node in ipairs(db.nodes) do
		local conn = db:get_connection(node)
		local n = 0
		for _, key in ipairs(conn:keys "spread:*") do
			n = n + 1
			T.eq(db.slots[db:keyslot(key)], node, "key " .. key .. " is on the node serving its slot")
		end
		T.ok(n > 50, "node " .. node.name .. " holds " .. n .. " keys")
		total = total + n
	end
	T.eq(total, 300, "keys over all nodes")
	for i = 1, 300 do
		T.eq(db:get("spread:" .. i), tostring(i), "GET spread:" .. i)
	end
end

-- a wrong slot map is corrected by MOVED
local function test_moved(db)
	local slot = db:keyslot "moved-key"
	local right = db.slots[slot]
	local wrong
	for _, node in ipairs(db.nodes) do
		if node ~= right then
			wrong = node
		end
	end
	db.slots[slot] = wrong
	T.eq(db:set("moved-key", "v"), "OK", "SET through MOVED")
	T.eq(db.slots[slot].name, right.name, "MOVED fixed the slot map")
	T.eq(db.refresh_table_asap, true, "the map is read again before the next command")
	T.eq(db:get "moved-key", "v", "GET")
	T.eq(db.refresh_table_asap, false, "map refreshed")
end

-- While a slot migrates, the source answers ASK for keys it no longer
-- holds; the client sends ASKING and the command to the destination.
local function test_ask(db)
	local key = "ask-key"
	local slot = db:keyslot(key)
	local source = db.slots[slot]
	local dest
	for _, node in ipairs(db.nodes) do
		if node ~= source then
			dest = node
		end
	end
	local src_conn, dest_conn = db:get_connection(source), db:get_connection(dest)
	local src_id, dest_id = src_conn:cluster "myid", dest_conn:cluster "myid"
	db:del(key)
	T.eq(dest_conn:cluster("setslot", slot, "importing", src_id), "OK", "IMPORTING")
	T.eq(src_conn:cluster("setslot", slot, "migrating", dest_id), "OK", "MIGRATING")
	T.eq(db:set(key, "asked"), "OK", "SET through ASK")
	T.eq(src_conn:cluster("countkeysinslot", slot), 0, "the source does not have the key")
	T.eq(dest_conn:cluster("countkeysinslot", slot), 1, "the destination has it")
	T.eq(db:get(key), "asked", "GET through ASK")
	T.eq(db.slots[slot], source, "ASK leaves the slot map alone")
	-- finish the migration: every master learns the new owner
	for _, node in ipairs(db.nodes) do
		db:get_connection(node):cluster("setslot", slot, "node", dest_id)
	end
	T.eq(db:get(key), "asked", "GET after the migration (MOVED)")
	T.eq(db.slots[slot].name, dest.name, "slot map follows the migration")
	db:del(key)
end

local function test_pubsub(db)
	db:subscribe "world"
	db:subscribe "myteam"
	db:psubscribe "{tag}*team"
	skynet.sleep(20)
	db:publish("world", "hello,world")
	db:publish("myteam", "hello,my team")
	db:publish("{tag}1team", "hello,1team")
	wait_until("three messages arrive", function()
		return #received >= 3
	end)
	local seen = {}
	for _, m in ipairs(received) do
		seen[m.channel .. "=" .. m.data .. "@" .. tostring(m.pattern)] = true
	end
	T.ok(seen["world=hello,world@nil"], "message on world")
	T.ok(seen["myteam=hello,my team@nil"], "message on myteam")
	T.ok(seen["{tag}1team=hello,1team@{tag}*team"], "pattern message")
end

T.run(function()
	local startup = {}
	for i = 1, 2 do
		startup[i] = { host = "127.0.0.1", port = ports[i] }
	end
	local db = rediscluster.new(startup, { read_slave = true, db = 0 }, onmessage)
	test_keyslot(db)
	test_commands(db)
	test_spread(db)
	test_moved(db)
	test_ask(db)
	test_pubsub(db)
	-- a single node table works as the startup list too
	local single = rediscluster.new({ host = "127.0.0.1", port = ports[3] })
	T.eq(single:get "spread:1", "1", "startup from one node")
	single:close_all_connection()
	db:close_all_connection()
	for _, w in pairs(db.__watching) do
		w:disconnect()
	end
end)
