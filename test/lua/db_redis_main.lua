-- skynet.db.redis against a real redis-server (test/sh/test_db_redis.sh
-- starts it with a password on redis_port and restarts it whenever it
-- exits).  Covers what skynet's testredis.lua, testredis2.lua and
-- testpipeline.lua do, and: every reply type, error replies, binary and
-- large values, 1,000 coroutines on one connection, subscribe mode,
-- reconnecting after the server restarts, and malformed replies from a
-- fake server.
local skynet = require "skynet"
local socket = require "skynet.socket"
local redis = require "skynet.db.redis"
local T = require "testlib"

local conf = {
	host = "127.0.0.1",
	port = assert(tonumber(skynet.getenv "redis_port"), "redis_port"),
	auth = skynet.getenv "redis_password",
	db = 1,
}

local function with(changes)
	return T.with(conf, changes)
end

local function pairs_to_map(array)
	local map = {}
	for i = 1, #array, 2 do
		map[array[i]] = array[i + 1]
	end
	return map
end

-- testredis.lua: strings, sets, hashes, MULTI/EXEC, EXISTS, SISMEMBER
local function test_basic(db)
	db:del "C"
	T.eq(db:set("A", "hello"), "OK", "SET status reply")
	db:set("B", "world")
	T.eq(db:sadd("C", "one"), 1, "SADD integer reply")
	T.eq(db:get "A", "hello", "GET A")
	T.eq(db:get "B", "world", "GET B")
	T.eq(db:get "missing", nil, "GET of a missing key is nil")

	db:del "D"
	for i = 1, 10 do
		db:hset("D", i, i)
	end
	local values = db:hvals "D"
	T.eq(#values, 10, "HVALS count")
	local seen = {}
	for _, v in ipairs(values) do
		seen[tonumber(v)] = true
	end
	for i = 1, 10 do
		T.ok(seen[i], "HVALS has " .. i)
	end

	T.eq(db:multi(), "OK", "MULTI")
	T.eq(db:get "A", "QUEUED", "queued GET A")
	T.eq(db:get "B", "QUEUED", "queued GET B")
	local t = db:exec()
	T.eq(#t, 2, "EXEC replies")
	T.eq(t[1], "hello", "EXEC 1")
	T.eq(t[2], "world", "EXEC 2")

	T.eq(db:exists "A", true, "EXISTS A")
	T.eq(db:exists "nothing", false, "EXISTS of a missing key")
	T.eq(db:set("A", "hello world"), "OK", "SET again")
	T.eq(db:get "A", "hello world", "GET after SET")
	T.eq(db:sismember("C", "one"), true, "SISMEMBER one")
	T.eq(db:sismember("C", "two"), false, "SISMEMBER two")
	-- a table of arguments, upper- or lower-case names
	T.eq(db:mset { "k1", "v1", "k2", "v2" }, "OK", "MSET with a table")
	local both = db:MGET("k1", "k2", "nope")
	T.eq(both[1], "v1", "MGET 1")
	T.eq(both[2], "v2", "MGET 2")
	T.eq(both[3], nil, "MGET missing is nil")
	T.eq(#db:keys "k*", 2, "KEYS")
end

-- integers, nested arrays, nils inside arrays, status from a script
local function test_reply_types(db)
	db:del "n"
	T.eq(db:incr "n", 1, "INCR")
	T.eq(db:incrby("n", 41), 42, "INCRBY")
	T.eq(math.type(db:incrby("n", -50)), "integer", "integer reply is an integer")
	T.eq(db:incrby("n", 0), -8, "negative integer")
	local nested = db:eval("return {1, {2, {'deep', false}}, 'x', redis.status_reply('FINE')}", 0)
	T.eq(nested[1], 1, "nested[1]")
	T.eq(nested[2][1], 2, "nested[2][1]")
	T.eq(nested[2][2][1], "deep", "nested[2][2][1]")
	T.eq(nested[2][2][2], nil, "false in a script is a nil bulk")
	T.eq(nested[3], "x", "nested[3]")
	T.eq(nested[4], "FINE", "status inside an array")
	T.eq(#db:eval("return {}", 0), 0, "empty array")
	T.eq(db:ping(), "PONG", "PING")
	T.eq(db:echo "", "", "empty bulk")
	db:del "z"
	db:zadd("z", 1, "a", 2.5, "b")
	local scores = db:zrange("z", 0, -1, "WITHSCORES")
	T.eq(table.concat(scores, ","), "a,1,b,2.5", "ZRANGE WITHSCORES")
	T.eq(db:dbsize() >= 1, true, "DBSIZE")
end

-- error replies are Lua errors with the server's text; the connection lives on
local function test_errors(db)
	db:set("s", "text")
	T.raises("ERR value is not an integer or out of range", db.incr, db, "s")
	T.raises("WRONGTYPE Operation against a key holding the wrong kind of value", db.lpush, db, "s", 1)
	T.raises("ERR unknown command 'NOSUCHCOMMAND'", db.nosuchcommand, db, "x")
	T.raises("ERR wrong number of arguments for 'get' command", db.get, db)
	T.raises("argument 2 is nil", db.set, db, { "k", nil, n = 2 })
	T.raises("ERR boom", db.eval, db, "return redis.error_reply('ERR boom')", 0)
	-- an error inside EXEC's array: the array is the error value
	db:multi()
	db:incr "s"
	db:get "s"
	local ok, err = pcall(db.exec, db)
	T.ok(not ok, "EXEC with a failed command raises")
	T.eq(type(err), "table", "EXEC's error is the reply array")
	T.ok(err[1]:find("not an integer", 1, true), "EXEC error text")
	T.eq(err[2], "text", "EXEC other reply")
	T.eq(db:get "s", "text", "the connection still works")
end

local function test_values(db)
	local binary = "a\r\nb\0c\r\n$3\r\n*1\r\n"
	db:set("bin", binary)
	T.eq(db:get "bin", binary, "binary-safe value")
	local unicode = "ключ-😀"
	db:set(unicode, unicode)
	T.eq(db:get(unicode), unicode, "utf-8 key and value")
	db:set("num", 3.25)
	T.eq(db:get "num", "3.25", "numbers are sent with tostring")
	local big = string.rep("0123456789abcdef", 4 * 1024 * 1024) -- 64 MB
	T.eq(db:set("big", big), "OK", "SET 64 MB")
	local back = db:get "big"
	T.eq(#back, #big, "GET 64 MB length")
	T.ok(back == big, "GET 64 MB bytes")
	db:del "big"
end

-- testredis2.lua: HMSET with many fields as arguments and as one table.
-- (250,000 pairs as arguments overflow Lua's stack, in skynet's driver too:
-- 100,000 pairs is what fits twice in Lua's 1,000,000 stack slots.)
local function test_hmset_many(db)
	local function fields(key, count)
		local t = {}
		for i = 1, count do
			t[2 * i - 1] = "key" .. i
			t[2 * i] = "value" .. i
		end
		if key then
			table.insert(t, 1, key)
		end
		return t
	end
	db:del("test1", "test2")
	T.eq(db:hmset("test1", table.unpack(fields(nil, 100000))), "OK", "HMSET varargs")
	T.eq(db:hmset(fields("test2", 250000)), "OK", "HMSET table")
	T.eq(db:hlen "test1", 100000, "HLEN test1")
	T.eq(db:hlen "test2", 250000, "HLEN test2")
	T.eq(db:hget("test2", "key250000"), "value250000", "HGET last field")
	db:del("test1", "test2")
end

-- testpipeline.lua: a pipeline returning the last reply, and one
-- collecting every reply
local function test_pipeline(db)
	db.pipelining = function(self, block)
		local ops = {}
		block(setmetatable({}, {
			__index = function(_, name)
				return function(_, ...)
					table.insert(ops, { name, ... })
				end
			end,
		}))
		return self:pipeline(ops)
	end
	local ret = db:pipelining(function(red)
		red:multi()
		red:hincrby("hello", 1, 1)
		red:del("hello")
		red:hmset("hello", 1, 1, 2, 2, 3, 3)
		red:hgetall("hello")
		red:exec()
	end)
	T.eq(#ret, 4, "pipeline returns EXEC's reply")
	local map = pairs_to_map(ret[4])
	T.eq(map["1"], "1", "hgetall 1")
	T.eq(map["3"], "3", "hgetall 3")

	local results = db:pipeline({
		{ "hincrby", "hello", 1, 1 },
		{ "del", "hello" },
		{ "hmset", "hello", 1, 1, 2, 2, 3, 3 },
		{ "hgetall", "hello" },
		{ "incr", "hello" },
	}, {})
	T.eq(#results, 5, "pipeline collects every reply")
	T.eq(results[1].ok, true, "reply 1 ok")
	T.eq(results[1].out, 2, "HINCRBY reply")
	T.eq(results[2].out, 1, "DEL reply")
	T.eq(results[3].out, "OK", "HMSET reply")
	T.eq(pairs_to_map(results[4].out)["2"], "2", "HGETALL reply")
	T.eq(results[5].ok, false, "an error inside a pipeline")
	T.ok(results[5].out:find("WRONGTYPE", 1, true), "its text")
	T.raises("WRONGTYPE", db.pipeline, db, { { "get", "x" }, { "incr", "hello" } })
	T.raises("pipeline is null", db.pipeline, db, {})

	-- a long pipeline in one write
	local ops = {}
	for i = 1, 10000 do
		ops[i] = { "rpush", "plist", i }
	end
	db:del "plist"
	T.eq(db:pipeline(ops), 10000, "10,000 commands pipelined")
	T.eq(db:lindex("plist", 9999), "10000", "their effect")
	local list = db:lrange("plist", 0, -1)
	T.eq(#list, 10000, "LRANGE of 10,000 items")
	T.eq(list[10000], "10000", "its last item")
end

-- 1,000 coroutines share one connection; every reply reaches its caller
local function test_concurrency(db)
	T.parallel_checked(1000, 1000, "1000 coroutines on one connection", function(i)
		local key = "co" .. i
		db:set(key, i * 7)
		return db:get(key) == tostring(i * 7) and db:incrby(key, i) == i * 8
	end)
end

-- db selects the database; auth is really checked
local function test_auth_and_db(db)
	db:set("where", "db1")
	local db0 = redis.connect(with { db = 0 })
	T.eq(db0:get "where", nil, "db 0 does not see db 1's key")
	db0:disconnect()
	T.ok(not pcall(redis.connect, with { auth = "wrong" }), "a wrong password fails to connect")
	local raw = redis.connect { host = conf.host, port = conf.port }
	T.raises("NOAUTH", raw.get, raw, "where")
	raw:disconnect()
	local free, _, port = socket.listen("127.0.0.1", 0)
	socket.close(free)
	T.ok(not pcall(redis.connect, with { port = port }), "connect to a closed port fails")
end

local function collect_messages(w, want, into)
	local wait = T.started(function()
		while #into < want do
			into[#into + 1] = table.pack(w:message())
		end
	end)
	return wait
end

local function test_watch(db)
	local w = redis.watch(conf)
	w:subscribe "foo"
	w:psubscribe "hello.*"
	local got = {}
	local wait = collect_messages(w, 20, got)
	skynet.sleep(10) -- the subscriptions are confirmed
	for i = 1, 10 do
		db:publish("foo", i)
	end
	for i = 11, 20 do
		db:publish("hello.foo", i)
	end
	T.ok(wait(500, "20 messages"), "watcher ran")
	for i = 1, 10 do
		T.eq(got[i][1], tostring(i), "message data " .. i)
		T.eq(got[i][2], "foo", "message channel " .. i)
		T.eq(got[i].n, 2, "a channel message has two values")
	end
	for i = 11, 20 do
		T.eq(got[i][1], tostring(i), "pmessage data " .. i)
		T.eq(got[i][2], "hello.foo", "pmessage channel " .. i)
		T.eq(got[i][3], "hello.*", "pmessage pattern " .. i)
	end
	w:unsubscribe "foo"
	skynet.sleep(10)
	T.eq(db:publish("foo", "gone"), 0, "no subscriber after unsubscribe")
	T.eq(db:publish("hello.x", "kept"), 1, "the pattern stays")
	local data, channel, pattern = w:message()
	T.eq(data, "kept", "message after unsubscribe")
	T.eq(channel .. " " .. pattern, "hello.x hello.*", "its channel and pattern")
	return w
end

-- The server shuts down and is restarted by the test script: the live
-- connection reconnects (auth and db again), the watcher resubscribes.
local function test_restart(db, w)
	local got = {}
	local wait = collect_messages(w, 1, got)
	local killer = redis.connect(conf)
	T.ok(not pcall(killer.shutdown, killer, "NOSAVE"), "SHUTDOWN closes the connection")
	killer:disconnect()
	local deadline = skynet.now() + 1000
	local ok, value
	repeat
		skynet.sleep(10)
		ok, value = pcall(db.get, db, "where")
	until (ok and value == nil) or skynet.now() > deadline
	T.ok(ok, "the connection works again after the restart: " .. tostring(value))
	T.eq(value, nil, "the new server has no data (no save)")
	db:set("again", "yes")
	local db0 = redis.connect(with { db = 0 })
	T.eq(db0:get "again", nil, "after reconnecting, SELECT ran again")
	db0:disconnect()
	-- the watcher resubscribed by itself
	local receivers = 0
	deadline = skynet.now() + 1000
	while receivers == 0 and skynet.now() < deadline do
		skynet.sleep(10)
		receivers = db:publish("hello.back", "after restart")
	end
	T.eq(receivers, 1, "the watcher is subscribed again")
	wait(500, "message after the restart")
	T.eq(got[1][1], "after restart", "message after the restart")
	w:disconnect()
end

-- A fake server sends each reply of the list; every malformed one is a Lua
-- error in the caller, and the node goes on.
local function test_malformed()
	local replies = {
		"?what\r\n",
		"$abc\r\n",
		"$5\r\nab\r\n",         -- truncated bulk, then the server closes
		"$2\r\nabXY",           -- bulk without CRLF
		"*2\r\n:1\r\n",         -- truncated array
		":1.5\r\n",
		"*x\r\n",
		":99999999999999999999\r\n",
		"*3000000000\r\n",     -- more items than an array may have
		string.rep("*1\r\n", 1001) .. ":1\r\n", -- nested too deep
		"",                      -- no reply at all, connection closed
	}
	local index = 0
	local listen_id, _, port = socket.listen("127.0.0.1", 0)
	socket.start(listen_id, function(id)
		socket.start(id)
		index = index + 1
		local reply = replies[index]
		skynet.fork(function()
			socket.readline(id, "\r\n")
			if reply ~= "" then
				socket.write(id, reply)
			end
			skynet.sleep(5)
			socket.close(id)
		end)
	end)
	local db = redis.connect { host = "127.0.0.1", port = port }
	for i = 1, #replies do
		local ok = pcall(db.ping, db)
		T.ok(not ok, "malformed reply " .. i .. " raises")
	end
	db:disconnect()
	socket.close(listen_id)
end

T.run(function()
	local db = redis.connect(conf)
	db:flushall()
	test_basic(db)
	test_reply_types(db)
	test_errors(db)
	test_values(db)
	test_hmset_many(db)
	test_pipeline(db)
	test_concurrency(db)
	test_auth_and_db(db)
	local w = test_watch(db)
	test_restart(db, w)
	test_malformed()
	db:disconnect()
	T.raises(nil, function()
		return db:get "A"
	end)
end)
