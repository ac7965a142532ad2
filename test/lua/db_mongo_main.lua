-- skynet.db.mongo against a server test/sh/test_db_mongo.sh started: a real
-- mongod when one is on the PATH, and always the stand-in of
-- test/mongo/standin.py (mongomock's storage behind pymongo's BSON).  The
-- config names it (mongo_server) and gives mongo_port, and mongo_user /
-- mongo_password when the server wants a login, mongo_secondary_port when a
-- stand-in secondary names the server as its primary.
--
-- Covers what skynet's testmongodb.lua does, and: every BSON type through
-- the server, cursors over several batches, upserts and multi-updates,
-- findAndModify, aggregate, unique indexes, logins that fail, malformed
-- and cut-off replies from a fake server, 16 coroutines on one client.
local skynet = require "skynet"
local socket = require "skynet.socket"
local mongo = require "skynet.db.mongo"
local bson = require "bson"
local T = require "testlib"

local SERVER = skynet.getenv "mongo_server" or "?"
local conf = {
	host = "127.0.0.1",
	port = assert(tonumber(skynet.getenv "mongo_port"), "mongo_port"),
	username = skynet.getenv "mongo_user",
	password = skynet.getenv "mongo_password",
	authdb = "admin",
}
local DB = "skynet_test"

local function client()
	return mongo.client(conf)
end

local function fresh(c, name)
	local coll = c[DB][name]
	coll:drop()
	return coll
end

-- insert + findOne of every BSON type the codec has
local function test_types(c)
	local coll = fresh(c, "types")
	local doc = {
		_id = bson.objectid(),
		str = "héllo wörld",
		empty_str = "",
		int32 = 123456,
		neg = -7,
		int64 = 1 << 40,
		small_int64 = bson.int64(5),
		double = 3.25,
		whole_double = 2.0,
		big_double = 1e300,
		yes = true,
		no = false,
		null = mongo.null,
		minkey = mongo.minkey,
		maxkey = mongo.maxkey,
		date = bson.date(1600000000.125),
		timestamp = bson.timestamp(1600000000, 7),
		regex = bson.regex("^ab+c$", "i"),
		binary = bson.binary("\0\1\2\255bytes"),
		uuid = bson.binary(string.rep("\x42", 16), 4),
		user_binary = bson.binary("custom", 0x80),
		oid = bson.objectid "5f0c1a2b3c4d5e6f70818283",
		array = { 1, "two", { three = 3 }, { 4 } },
		nested = { a = { b = { c = "deep" } } },
		empty = {},
	}
	local ok, err, r = coll:safe_insert(doc)
	T.ok(ok, "safe_insert of every type: " .. tostring(err))
	T.eq(r.n, 1, "inserted count")
	local got = T.ok(coll:findOne { _id = doc._id }, "findOne by _id")
	for k, v in pairs(doc) do
		if type(v) ~= "table" and k ~= "small_int64" then
			T.eq(got[k], v, "round trip of " .. k)
		end
	end
	T.eq(math.type(got.int64), "integer", "int64 is an integer")
	T.eq(got.small_int64, 5, "an int64 written small comes back as 5")
	T.eq(math.type(got.whole_double), "float", "a double stays a float")
	T.eq(select(2, bson.type(got.date)), 1600000000, "date seconds")
	T.eq(select(3, bson.type(got.date)), 1600000000125, "date milliseconds")
	local kind, data, subtype = bson.type(got.uuid)
	T.eq(kind, "binary", "uuid kind")
	T.eq(subtype, 4, "uuid subtype")
	T.eq(data, string.rep("\x42", 16), "uuid bytes")
	T.eq(#got.array, 4, "array length")
	T.eq(got.array[2], "two", "array element")
	T.eq(got.array[3].three, 3, "document in an array")
	T.eq(got.array[4][1], 4, "array in an array")
	T.eq(got.nested.a.b.c, "deep", "nested documents")
	T.eq(next(got.empty), nil, "empty document")
	local only = coll:findOne({ _id = doc._id }, { str = 1 })
	T.eq(only.str, doc.str, "projection keeps str")
	T.eq(only.int32, nil, "projection drops the rest")
	T.eq(coll:findOne { _id = "nothing" }, nil, "findOne of nothing is nil")
end

local function open_cursors(c)
	return c:runCommand("serverStatus").metrics.cursor.open.total
end

-- 250 documents read back in batches of 50 (getMore), sort, skip, limit, count
local function test_cursor(c)
	local coll = fresh(c, "cursor")
	local docs = {}
	for i = 1, 250 do
		docs[i] = { i = i, grp = i % 3 }
	end
	local ok, err, r = coll:safe_batch_insert(docs)
	T.ok(ok, "safe_batch_insert: " .. tostring(err))
	T.eq(r.n, 250, "batch inserted")
	T.eq(docs[1].i, 1, "the caller's documents are left as tables")
	T.ok(docs[1]._id, "and get their _id")

	local cur = coll:find():sort({ i = -1 }):batchSize(50)
	local want = 250
	while cur:hasNext() do
		local doc = cur:next()
		T.eq(doc.i, want, "descending order")
		want = want - 1
	end
	T.eq(want, 0, "all 250 documents over several batches")
	T.eq(cur:next(), nil, "next after the end")
	T.eq(cur:count(), 250, "count")
	T.eq(coll:find({ grp = 0 }):count(), 83, "count with a query")

	cur = coll:find({ i = { ["$gt"] = 0 } }):sort { i = 1 }:skip(10):limit(120):batchSize(50)
	local seen = {}
	while cur:hasNext() do
		seen[#seen + 1] = cur:next().i
	end
	T.eq(#seen, 120, "skip + limit across batches")
	T.eq(seen[1], 11, "first after skip")
	T.eq(seen[120], 130, "last within limit")
	T.eq(cur:count(), 250, "count ignores skip and limit")
	T.eq(cur:count(true), 120, "count(true) applies them")

	cur = coll:find():sort({ grp = 1 }, { i = -1 }):limit(3)
	T.eq(cur:next().i, 249, "two sort keys: grp 0 first, then i descending")
	T.eq(cur:next().i, 246, "second")

	cur = coll:find():sort { i = 1 }:limit(-5)
	local n = 0
	while cur:hasNext() do
		cur:next()
		n = n + 1
	end
	T.eq(n, 5, "a negative limit is one batch")

	local open_before = open_cursors(c)
	cur = coll:find():batchSize(10)
	for _ = 1, 15 do
		cur:next()
	end
	T.eq(open_cursors(c), open_before + 1, "the server holds the cursor")
	cur:close()
	T.eq(open_cursors(c), open_before, "close kills it on the server")
	T.eq(cur:hasNext(), true, "the fetched batch is still readable after close")
	for _ = 16, 20 do
		cur:next()
	end
	T.eq(cur:hasNext(), false, "a closed cursor ends after its batch")

	local empty = coll:find { i = -1 }
	T.eq(empty:hasNext(), false, "an empty result")
end

local function test_update_delete(c)
	local coll = fresh(c, "update")
	for i = 1, 30 do
		coll:safe_insert { i = i, grp = i % 3, tag = "old" }
	end
	local ok, err, r = coll:safe_update({ i = 1000 }, { ["$set"] = { tag = "new" } }, true)
	T.ok(ok, "upsert: " .. tostring(err))
	T.eq(r.n, 1, "upsert counts one")
	T.ok(r.upserted and r.upserted[1]._id, "upsert reports the new _id")
	T.eq(coll:findOne({ i = 1000 }).tag, "new", "the upserted document")

	ok, err, r = coll:safe_update({ grp = 1 }, { ["$set"] = { tag = "multi" } }, false, true)
	T.ok(ok, err)
	T.eq(r.n, 10, "multi update matches all")
	T.eq(r.nModified, 10, "and modifies all")
	T.eq(coll:find({ tag = "multi" }):count(), 10, "multi-updated documents")

	ok, err, r = coll:safe_update({ grp = 2 }, { ["$inc"] = { i = 100 } })
	T.eq(r.n, 1, "without multi one document changes")

	ok, err, r = coll:safe_update({ i = 5 }, { i = 5, replaced = true })
	T.ok(ok, "replacement update: " .. tostring(err))
	local five = coll:findOne { i = 5 }
	T.eq(five.replaced, true, "replaced document")
	T.eq(five.tag, nil, "replacement drops the old fields")

	ok, err, r = coll:safe_delete({ grp = 1 }, true)
	T.eq(r.n, 1, "single delete")
	ok, err, r = coll:safe_delete { grp = 1 }
	T.eq(r.n, 9, "multi delete removes the rest")
	T.eq(coll:find({ grp = 1 }):count(), 0, "grp 1 gone")
	ok, err, r = coll:safe_batch_delete({ { i = 3 }, { i = 6 } })
	T.eq(r.n, 2, "batch delete")
	ok, err, r = coll:safe_batch_update {
		{ query = { i = 9 }, update = { ["$set"] = { tag = "b1" } } },
		{ query = { i = 12 }, update = { ["$set"] = { tag = "b2" } } },
	}
	T.eq(r.n, 2, "batch update")
	T.eq(coll:findOne({ i = 12 }).tag, "b2", "batch update applied")

	-- unacknowledged writes: later commands on the connection see them
	coll:insert { i = 2000 }
	coll:batch_insert { { i = 2001 }, { i = 2002 } }
	coll:update({ i = 2001 }, { ["$set"] = { seen = true } })
	coll:delete({ i = 2002 }, true)
	T.ok(coll:findOne { i = 2000 }, "insert without ack")
	T.eq(coll:findOne({ i = 2001 }).seen, true, "update without ack")
	T.eq(coll:findOne { i = 2002 }, nil, "delete without ack")
end

local function test_find_and_modify(c)
	local coll = fresh(c, "counters")
	coll:safe_insert { _id = "ids", seq = 0 }
	for n = 1, 3 do
		local r = coll:findAndModify { query = { _id = "ids" }, update = { ["$inc"] = { seq = 1 } }, new = true }
		T.eq(r.ok, 1, "findAndModify ok")
		T.eq(r.value.seq, n, "new = true returns the updated document")
	end
	local r = coll:findAndModify { query = { _id = "ids" }, update = { ["$inc"] = { seq = 1 } } }
	T.eq(r.value.seq, 3, "without new, the document before")
	r = coll:findAndModify { query = { _id = "other" }, update = { ["$inc"] = { seq = 1 } }, upsert = true, new = true }
	T.eq(r.value.seq, 1, "upsert creates")
	T.eq(r.lastErrorObject.updatedExisting, false, "upsert reports no existing document")
	r = coll:findAndModify { query = { _id = "other" }, remove = true }
	T.eq(r.value._id, "other", "remove returns the document")
	T.eq(coll:findOne { _id = "other" }, nil, "and removes it")
	T.raises("needs an update or remove", coll.findAndModify, coll, { query = {} })
end

local function test_aggregate(c)
	local coll = fresh(c, "agg")
	local docs, totals = {}, { [0] = 0, 0, 0 }
	for i = 1, 60 do
		docs[i] = { i = i, grp = i % 3 }
		totals[i % 3] = totals[i % 3] + i
	end
	coll:safe_batch_insert(docs)
	local cur = coll:aggregate({ { ["$group"] = { _id = "$grp", total = { ["$sum"] = "$i" }, n = { ["$sum"] = 1 } } } })
	cur:sort { _id = 1 }
	local groups = 0
	while cur:hasNext() do
		local g = cur:next()
		T.eq(g._id, groups, "groups sorted by _id")
		T.eq(g.total, totals[g._id], "$sum per group")
		T.eq(g.n, 20, "count per group")
		groups = groups + 1
	end
	T.eq(groups, 3, "three groups")

	cur = coll:aggregate({ { ["$match"] = { grp = 1 } } }, { cursor = { batchSize = 4 } }):sort { i = -1 }:skip(2):limit(10)
	local seen = {}
	while cur:hasNext() do
		seen[#seen + 1] = cur:next().i
	end
	T.eq(#seen, 10, "aggregate with skip and limit across batches")
	T.eq(seen[1], 52, "sorted, skipped")
	T.eq(cur:count(), 20, "aggregate count")
	T.eq(cur:count(true), 10, "aggregate count with skip and limit")

	-- skynet's testmongodb: aggregate through runCommand
	local r = c[DB]:runCommand("aggregate", "agg", "pipeline", {
		{ ["$group"] = { _id = mongo.null, total = { ["$sum"] = "$i" } } },
	}, "cursor", {})
	T.eq(r.ok, 1, "runCommand aggregate")
	T.eq(r.cursor.firstBatch[1].total, 1830, "sum of 1..60")
end

local function test_indexes(c)
	local coll = fresh(c, "idx")
	local r = coll:createIndex { { key = 1 }, unique = true, name = "key_unique" }
	T.eq(r.ok, 1, "createIndex unique: " .. tostring(r.errmsg))
	local ok, err = coll:safe_insert { key = 1 }
	T.ok(ok, "first insert: " .. tostring(err))
	local ok2, err2, reply = coll:safe_insert { key = 1 }
	T.eq(ok2, false, "a duplicate key is refused")
	T.ok(err2:find("E11000", 1, true), "the server's error text: " .. tostring(err2))
	T.ok(err2:lower():find("duplicate key", 1, true), "says duplicate key: " .. err2)
	T.eq(reply.writeErrors[1].code, 11000, "error code")

	r = coll:ensureIndex({ other = -1 }, { name = "other_desc" })
	T.eq(r.ok, 1, "ensureIndex with options")
	r = coll:ensureIndex({ legacy = 1 }, {})
	T.eq(r.ok, 1, "ensureIndex names the index itself")
	r = coll:createIndexes({ "a", { b = -1 } }, { { c = 1 }, name = "c_index" })
	T.eq(r.ok, 1, "createIndexes")
	local names = {}
	local listed = c[DB]:runCommand("listIndexes", "idx")
	for _, index in ipairs(listed.cursor.firstBatch) do
		names[index.name] = index
	end
	T.ok(names.key_unique and names.key_unique.unique, "unique index listed")
	T.ok(names.other_desc, "named index listed")
	T.ok(names.legacy_1, "legacy index name")
	T.ok(names["a_1_b_-1"], "compound index name")
	T.ok(names.c_index, "second index of createIndexes")
	T.raises("createIndex(keys, options) takes one key", coll.createIndex, coll, { x = 1, y = 1 }, {})

	r = coll:dropIndex "key_unique"
	T.eq(r.ok, 1, "dropIndex")
	ok = coll:safe_insert { key = 1 }
	T.ok(ok, "duplicates allowed once the index is gone")
	r = coll:dropIndex "no_such_index"
	T.ok(r.ok ~= 1 and r.errmsg, "dropping a missing index fails with a message")
	r = coll:dropIndex "*"
	T.eq(r.ok, 1, "dropIndex *")
end

local function test_run_command(c)
	local db = c[DB]
	T.eq(db:runCommand("ping").ok, 1, "ping")
	T.eq(c:runCommand("ping").ok, 1, "client:runCommand goes to admin")
	local r = db:runCommand "noSuchCommandHere"
	T.ok(r.ok ~= 1, "an unknown command fails")
	T.ok(r.errmsg:find("noSuchCommandHere", 1, true), "and names itself: " .. r.errmsg)
	r = db:runCommand("count", "cursor", "query", { grp = 0 })
	T.eq(r.n, 83, "count through runCommand")
	T.eq(tostring(c[DB]), "[mongo db : " .. DB .. "]", "tostring of a db")
	T.eq(tostring(c[DB].some), "[mongo collection : " .. DB .. ".some]", "tostring of a collection")
	local sub = c[DB].some.child
	T.eq(sub.name, "some.child", "sub-collection name")
	sub:drop()
	T.ok(sub:safe_insert { x = 1 }, "sub-collection insert")
	T.eq(c[DB]:getCollection("some.child"):findOne().x, 1, "sub-collection is some.child")
	T.ok(c:getDB(DB) ~= c:getDB(DB), "getDB makes a db object")
end

-- 16 coroutines share one client; requests overlap on the connection
local function test_concurrent(c)
	local coll = fresh(c, "concurrent")
	T.parallel(16, 3000, "16 coroutines", function(w)
		for j = 1, 40 do
			local ok, err = coll:safe_insert { w = w, j = j }
			assert(ok, err)
			local doc = coll:findOne { w = w, j = j }
			assert(doc and doc.w == w and doc.j == j, "each coroutine gets its own reply")
		end
		local cur = coll:find({ w = w }):batchSize(7)
		local n = 0
		while cur:hasNext() do
			assert(cur:next().w == w)
			n = n + 1
		end
		assert(n == 40, "own cursor")
	end)
	T.eq(coll:find():count(), 640, "all inserts landed")
end

local function test_auth()
	if not conf.username then
		print "mongo: the server has no login: auth checks skipped in this run"
		return
	end
	local c = client()
	T.eq(c[DB]:runCommand("ping").ok, 1, "logged in")
	c:disconnect()

	local wrong = setmetatable({ password = "wrong-" .. conf.password }, { __index = conf })
	local err = T.raises("mongo: authentication of " .. conf.username .. " on admin failed", mongo.client, wrong)
	T.ok(err:find("Authentication failed", 1, true), "says the server's reason: " .. err)

	local nobody = setmetatable({ username = "nobody", password = "x" }, { __index = conf })
	T.raises("Authentication failed", mongo.client, nobody)

	local anonymous = mongo.client { host = conf.host, port = conf.port }
	local ok, werr = anonymous[DB].x:safe_insert { a = 1 }
	T.eq(ok, false, "a write without login fails")
	T.ok(werr:find("requires authentication", 1, true), "and says why: " .. tostring(werr))
	local db = anonymous.admin
	T.eq(db:auth(conf.username, "bad"), false, "db:auth with a bad password")
	T.ok(db:auth(conf.username, conf.password), "db:auth logs the connection in")
	ok, werr = anonymous[DB].x:safe_insert { a = 1 }
	T.ok(ok, "writes work after db:auth: " .. tostring(werr))
	anonymous:disconnect()
end

local function test_disconnect()
	local c = client()
	c:disconnect()
	T.raises("disconnected", c[DB].x.findOne, c[DB].x, {})
	T.raises("cannot connect", mongo.client, { host = "127.0.0.1", port = 1 })
end

-- A replica-set secondary names its primary: the client moves there.
local function test_secondary()
	local port = tonumber(skynet.getenv "mongo_secondary_port")
	if not port then
		return
	end
	local c = mongo.client { host = "127.0.0.1", port = port }
	T.eq(c.port, conf.port, "the client follows the secondary to the primary")
	local coll = c[DB].rs
	coll:drop()
	T.ok(coll:safe_insert { via = "secondary" }, "write through the redirected client")
	local direct = client()
	T.eq(direct[DB].rs:findOne().via, "secondary", "the write reached the primary")
	c:disconnect()
	direct:disconnect()
end

-- The server shuts down (the test's supervisor starts it again): the
-- waiting command fails, a later one connects and logs in again.
local function test_restart(c)
	local coll = c[DB].restart
	T.ok(coll:safe_insert { before = true }, "insert before the restart")
	-- servers close the connection instead of answering: an error here
	pcall(c.runCommand, c, "shutdown", 1, "force", true)
	local deadline = skynet.now() + 6000
	local ok, err
	repeat
		skynet.sleep(20)
		ok, err = pcall(coll.safe_insert, coll, { after = true })
	until ok or skynet.now() > deadline
	T.ok(ok, "a command after the restart reconnects: " .. tostring(err))
	T.ok(coll:findOne { after = true }, "and works")
end

---------------------------------------------------------------- fake server

-- extra: bytes after the body section, inside the message
local function op_msg_reply(response_to, doc, extra)
	local body = tostring(bson.encode(doc)) .. (extra or "")
	return string.pack("<i4i4i4i4I4B", 21 + #body, 99, response_to, 2013, 0, 0) .. body
end

-- A server that answers the handshake, then meets the next request with
-- bad(request_id) and closes.
local function fake_server(bad)
	local listen_id, _, port = socket.listen("127.0.0.1", 0)
	socket.start(listen_id, function(id)
		socket.start(id)
		while true do
			local head = socket.read(id, 4)
			if not head then
				return
			end
			local rest = socket.read(id, string.unpack("<i4", head) - 4)
			local request_id = string.unpack("<i4", rest)
			local cmd = bson.decode(rest:sub(18))
			if cmd.hello or cmd.isMaster then
				socket.write(id, op_msg_reply(request_id, { isWritablePrimary = true, ismaster = true, ok = 1 }))
			else
				socket.write(id, bad(request_id))
				socket.close(id)
				return
			end
		end
	end)
	return listen_id, port
end

local function test_bad_replies()
	local cases = {
		{ "cut off mid-reply", "connection to 127.0.0.1", function(rid)
			return op_msg_reply(rid, { ok = 1, cursor = { firstBatch = {}, id = 0 } }):sub(1, 30)
		end },
		{ "a nonsense length", "bad reply length", function(rid)
			return string.pack("<i4i4i4i4", 3, 1, rid, 2013)
		end },
		{ "an old OP_REPLY", "unsupported reply opcode 1", function(rid)
			return string.pack("<i4i4i4i4", 40, 1, rid, 1) .. string.rep("\0", 24)
		end },
		{ "two sections", "not exactly one body section", function(rid)
			return op_msg_reply(rid, { ok = 1 }, "\1\10\0\0\0x\0\5\0\0\0\0")
		end },
		{ "no cursor in a find reply", "the reply has no cursor", function(rid)
			return op_msg_reply(rid, { ok = 1 })
		end },
		{ "broken BSON", "Invalid bson", function(rid)
			-- a string whose length runs past the document
			local field = "\2s\0" .. string.pack("<i4", 1000) .. "abc\0"
			local doc = string.pack("<i4", 4 + #field + 1) .. field .. "\0"
			return string.pack("<i4i4i4i4I4B", 21 + #doc, 99, rid, 2013, 0, 0) .. doc
		end },
	}
	for _, case in ipairs(cases) do
		local what, want, bad = table.unpack(case)
		local listen_id, port = fake_server(bad)
		local c = mongo.client { host = "127.0.0.1", port = port }
		local wait = T.started(function()
			return c[DB].x:findOne {}
		end)
		local ok, err = wait(500, what)
		T.eq(ok, false, what .. " is an error")
		T.ok(tostring(err):find(want, 1, true), string.format("%s: %q contains %q", what, tostring(err), want))
		c:disconnect()
		socket.close(listen_id)
	end
end

T.run(function()
	print("mongo: driver test against " .. SERVER)
	local c = client()
	local info = c:runCommand "buildInfo"
	print("mongo: the server says version " .. tostring(info.version))
	test_types(c)
	test_cursor(c)
	test_update_delete(c)
	test_find_and_modify(c)
	test_aggregate(c)
	test_indexes(c)
	test_run_command(c)
	test_concurrent(c)
	test_auth()
	test_disconnect()
	test_secondary()
	test_bad_replies()
	test_restart(c)
	c:disconnect()
end)
