-- skynet.db.mongo: a non-blocking MongoDB client on skynet.socketchannel.
-- Every command is an OP_MSG (skynet.mongo.driver) matched to its reply by
-- request id, so any number of coroutines share one connection.
--
--   local mongo = require "skynet.db.mongo"
--   local c = mongo.client { host = "127.0.0.1", port = 27017,
--       username = "u", password = "p", authdb = "admin", authmod = "scram_sha1",
--       rs = { {host =, port =}, ... }, overload = f }
--   local coll = c.game.players            -- c:getDB "game", db:getCollection "players"
--   coll:safe_insert { name = "a" }        -- ok, err, reply
--   local cur = coll:find({ level = { ["$gt"] = 3 } }, { name = 1 }):sort { level = -1 }:limit(10)
--   while cur:hasNext() do local doc = cur:next() end
--
-- Commands that return the server's reply (runCommand, createIndex,
-- findAndModify, drop, ...) leave checking `reply.ok` to the caller; the
-- safe_* writes return `ok, err, reply`; insert/update/delete without
-- safe_ are sent unacknowledged (writeConcern w = 0) and return nothing.
-- A lost connection or a malformed reply raises a Lua error in every
-- coroutine waiting on it; the next command connects (and logs in) again.
local socketchannel = require "skynet.socketchannel"
local driver = require "skynet.mongo.driver"
local bson = require "bson"
local crypt = require "skynet.crypt"
local md5 = require "md5"

local encode, encode_order, decode = bson.encode, bson.encode_order, bson.decode
local int64 = bson.int64
local EMPTY = encode {}
local UNACKNOWLEDGED = { w = 0 }

local mongo = {
	null = bson.null,
	maxkey = bson.maxkey,
	minkey = bson.minkey,
	type = bson.type,
}

local client = {}
local database = {}
local collection = {}
local cursor = {}

local client_meta = {
	__index = function(self, name)
		return client[name] or self:getDB(name)
	end,
	__tostring = function(self)
		return string.format("[mongo client : %s:%s]", self.host, self.port)
	end,
}

local database_meta = {
	__index = function(self, name)
		return database[name] or self:getCollection(name)
	end,
	__tostring = function(self)
		return "[mongo db : " .. self.name .. "]"
	end,
}

local collection_meta = {
	__index = function(self, name)
		return collection[name] or self:getCollection(name)
	end,
	__tostring = function(self)
		return "[mongo collection : " .. self.full_name .. "]"
	end,
}

local cursor_meta = { __index = cursor }

---------------------------------------------------------------- requests

-- The channel's response reader: the reply's request id, ok, its body.
local function read_reply(sock)
	local size = driver.length(sock:read(4))
	local ok, response_to, body = driver.reply(sock:read(size))
	return response_to, ok, body
end

local function next_request_id(self)
	local id = self.__id % 0x7fffffff + 1 -- a positive int32
	self.__id = id
	return id
end

-- Sends a command document; returns the reply's body bytes, or nothing
-- when want_reply is false (the server is told not to answer).
local function request(self, body, want_reply)
	local sock = self.__sock
	if not sock then
		error("mongo: the client is disconnected", 0)
	end
	local id = next_request_id(self)
	local flags = want_reply and 0 or driver.MORE_TO_COME
	local ok, reply = pcall(sock.request, sock, driver.op_msg(id, flags, body), want_reply and id or nil)
	if ok then
		return reply
	end
	if reply == socketchannel.error then
		-- a failed login on reconnecting says why
		error(self.__connect_error or string.format("mongo: connection to %s:%s lost", self.host, self.port), 0)
	end
	-- the reader's error, raised again in the waiting coroutine
	error((tostring(reply):gsub("^[^:]*:%d+: ", "")), 0)
end

-- The first value is the command's name; without a value it is 1.
function database:runCommand(cmd, value, ...)
	if value == nil then
		value = 1
	end
	local body = encode_order(cmd, value, "$db", self.name, ...)
	return decode(request(self.connection, body, true))
end

-- Like runCommand, but unacknowledged (writeConcern w = 0): nothing comes back.
function database:send_command(cmd, value, ...)
	if value == nil then
		value = 1
	end
	local body = encode_order(cmd, value, "$db", self.name, "writeConcern", UNACKNOWLEDGED, ...)
	request(self.connection, body, false)
end

-- killCursors takes no writeConcern (a server refuses the command if given one)
local function kill_cursor(db, coll_name, id)
	local body = encode_order("killCursors", coll_name, "$db", db.name, "cursors", { int64(id) })
	request(db.connection, body, false)
end

-- ok, err, reply of a write command
local function write_result(reply)
	local err
	if reply.writeErrors then
		err = reply.writeErrors[1].errmsg
	elseif reply.writeConcernError then
		err = reply.writeConcernError.errmsg
	elseif reply.ok ~= 1 then
		err = reply.errmsg or "mongo: the command failed"
	end
	return err == nil, err, reply
end

---------------------------------------------------------------- SCRAM-SHA-1

-- RFC 5802 over MongoDB's saslStart/saslContinue.  MongoDB's SCRAM-SHA-1
-- password is the hex MD5 of "user:mongo:password".

local function scram_name(user)
	return (user:gsub("=", "=3D"):gsub(",", "=2C"))
end

local function scram_fields(message)
	local fields = {}
	for k, v in message:gmatch "(%a)=([^,]*)" do
		fields[k] = v
	end
	return fields
end

-- Hi() of RFC 5802: PBKDF2 with HMAC-SHA-1, one block
local function salted_password(password, salt, iterations)
	local u = crypt.hmac_sha1(password, salt .. "\0\0\0\1")
	local result = u
	for _ = 2, iterations do
		u = crypt.hmac_sha1(password, u)
		result = crypt.xor_str(result, u)
	end
	return result
end

-- The payload of a sasl reply: binary data, or base64 text from servers
-- answering a text payload the same way
local function sasl_payload(reply)
	local kind, data = bson.type(reply.payload)
	if kind == "binary" then
		return data
	elseif kind == "string" then
		return crypt.base64decode(data)
	end
	error "mongo: the server's SASL reply has no payload"
end

local function sasl_step(db, what, ...)
	local reply = db:runCommand(...)
	if reply.ok ~= 1 then
		error(string.format("%s: %s", what, reply.errmsg or "refused"), 0)
	end
	return reply
end

-- Logs db's connection in as user; raises an error that says why not.
local function scram_sha1(db, user, password)
	local conn = db.connection
	local nonce = crypt.base64encode(crypt.randomkey() .. crypt.randomkey())
	local first_bare = "n=" .. scram_name(user) .. ",r=" .. nonce
	local reply = sasl_step(db, "saslStart", "saslStart", 1, "mechanism", "SCRAM-SHA-1",
		"payload", bson.binary("n,," .. first_bare), "autoAuthorize", 1)
	local conversation = reply.conversationId
	local server_first = sasl_payload(reply)
	local fields = scram_fields(server_first)
	local iterations = math.tointeger(tonumber(fields.i))
	if not (fields.r and fields.s and iterations and iterations > 0) then
		error("the server's first SCRAM message is malformed: " .. server_first, 0)
	end
	if fields.r:sub(1, #nonce) ~= nonce or #fields.r == #nonce then
		error("the server's SCRAM nonce does not extend ours", 0)
	end

	-- the derived keys only change with the salt: keep them for reconnects
	local salt = crypt.base64decode(fields.s)
	local cache_key = table.concat({ user, password, salt, iterations }, "\0")
	local cached = conn.__scram
	if not cached or cached.key ~= cache_key then
		local secret = salted_password(md5.sumhexa(user .. ":mongo:" .. password), salt, iterations)
		cached = { key = cache_key, secret = secret }
		conn.__scram = cached
	end
	local client_key = crypt.hmac_sha1(cached.secret, "Client Key")
	local without_proof = "c=biws,r=" .. fields.r
	local auth_message = first_bare .. "," .. server_first .. "," .. without_proof
	local signature = crypt.hmac_sha1(crypt.sha1(client_key), auth_message)
	local proof = crypt.base64encode(crypt.xor_str(client_key, signature))
	reply = sasl_step(db, "saslContinue", "saslContinue", 1, "conversationId", conversation,
		"payload", bson.binary(without_proof .. ",p=" .. proof))

	local server_key = crypt.hmac_sha1(cached.secret, "Server Key")
	local verifier = crypt.base64encode(crypt.hmac_sha1(server_key, auth_message))
	local final = scram_fields(sasl_payload(reply))
	if final.e then
		error("the server rejected the proof: " .. final.e, 0)
	end
	if final.v ~= verifier then
		error("the server's SCRAM signature is wrong", 0)
	end
	-- servers before 4.4 want one more, empty, round
	if not reply.done then
		reply = sasl_step(db, "saslContinue", "saslContinue", 1, "conversationId", conversation,
			"payload", bson.binary "")
		if not reply.done then
			error("the SASL conversation did not finish", 0)
		end
	end
end

local auth_methods = { scram_sha1 = scram_sha1 }

-- db:auth(user, password) -> true, or false and why
function database:auth(user, password)
	local authmod = rawget(self.connection, "authmod") or "scram_sha1"
	local method = auth_methods[authmod]
	if not method then
		return false, "mongo: unsupported authmod " .. tostring(authmod)
	end
	local ok, err = pcall(method, self, user, password)
	if ok then
		return true
	end
	return false, string.format("mongo: authentication of %s on %s failed: %s", user, self.name, err)
end

---------------------------------------------------------------- client

local function parse_address(addr)
	local host, port = addr:match "^(.+):(%d+)$"
	return host or addr, tonumber(port) or 27017
end

-- hello (MongoDB 4.4.2+), or isMaster for older servers
local function handshake(self)
	local admin = self:getDB "admin"
	local reply = admin:runCommand "hello"
	if reply.ok ~= 1 then
		reply = admin:runCommand "isMaster"
	end
	if reply.ok ~= 1 then
		error("mongo: the server refused hello and isMaster: " .. tostring(reply.errmsg), 0)
	end
	return reply
end

-- Runs on every new connection: log in, then find the primary of a
-- replica set (switching to it when this member is not the primary).
local function on_connect(self)
	return function()
		self.__connect_error = false
		-- rawget: a missing field of a client would name a database
		local user, password = rawget(self, "username"), rawget(self, "password")
		if user ~= nil and password ~= nil then
			local ok, err = self:getDB(rawget(self, "authdb") or "admin"):auth(user, password)
			if not ok then
				self.__connect_error = err
				error(err, 0)
			end
		end
		local hello = handshake(self)
		if hello.hosts then
			local backup = {}
			for i, addr in ipairs(hello.hosts) do
				local host, port = parse_address(addr)
				backup[i] = { host = host, port = port }
			end
			self.__sock:changebackup(backup)
		end
		if hello.isWritablePrimary or hello.ismaster then
			return
		end
		if hello.primary then
			local host, port = parse_address(hello.primary)
			self.host, self.port = host, port
			self.__sock:changehost(host, port)
			return
		end
		self.__connect_error = "mongo: no primary (this member is " .. tostring(hello.me) .. ")"
		error(self.__connect_error, 0)
	end
end

function mongo.client(conf)
	local first = conf.rs and conf.rs[1] or conf
	local authmod = first.authmod or "scram_sha1"
	if not auth_methods[authmod] then
		error("mongo: unsupported authmod " .. tostring(authmod), 2)
	end
	local self = setmetatable({
		host = assert(first.host, "mongo.client needs a host"),
		port = first.port or 27017,
		username = first.username,
		password = first.password,
		authmod = authmod,
		authdb = first.authdb,
		__id = 0,
		__sock = false,
		__scram = false,
		__connect_error = false,
	}, client_meta)
	self.__sock = socketchannel.channel {
		host = self.host,
		port = self.port,
		backup = conf.rs,
		response = read_reply,
		auth = on_connect(self),
		nodelay = true,
		overload = conf.overload,
	}
	local ok = pcall(self.__sock.connect, self.__sock, true)
	if not ok then
		local why = self.__connect_error or string.format("mongo: cannot connect to %s:%s", self.host, self.port)
		self.__sock:close()
		error(why, 2)
	end
	return self
end

function client:getDB(name)
	local db = setmetatable({ connection = self, name = name, full_name = name, database = false }, database_meta)
	db.database = db
	return db
end

function client:genId()
	return next_request_id(self)
end

function client:runCommand(...)
	return self:getDB("admin"):runCommand(...)
end

function client:logout()
	return self:runCommand("logout").ok == 1
end

function client:disconnect()
	local sock = self.__sock
	if sock then
		self.__sock = false
		sock:close()
	end
end

---------------------------------------------------------------- collections

function database:getCollection(name)
	local parent_is_db = self.database == self
	local coll = setmetatable({
		connection = self.connection,
		database = self.database,
		name = parent_is_db and name or self.name .. "." .. name,
		full_name = self.full_name .. "." .. name,
	}, collection_meta)
	rawset(self, name, coll)
	return coll
end

collection.getCollection = database.getCollection

local function with_id(doc)
	if doc._id == nil then
		doc._id = bson.objectid()
	end
	return encode(doc)
end

local function encode_all(docs)
	local list = {}
	for i = 1, #docs do
		list[i] = with_id(docs[i])
	end
	return list
end

function collection:insert(doc)
	self.database:send_command("insert", self.name, "documents", { with_id(doc) })
end

function collection:safe_insert(doc)
	return write_result(self.database:runCommand("insert", self.name, "documents", { with_id(doc) }))
end

-- doc: a bson object, sent as it is
function collection:raw_safe_insert(doc)
	return write_result(self.database:runCommand("insert", self.name, "documents", { doc }))
end

function collection:batch_insert(docs)
	self.database:send_command("insert", self.name, "documents", encode_all(docs))
end

function collection:safe_batch_insert(docs)
	return write_result(self.database:runCommand("insert", self.name, "documents", encode_all(docs)))
end

collection.insert_many = collection.batch_insert
collection.safe_insert_many = collection.safe_batch_insert

local function update_statement(query, update, upsert, multi)
	return encode { q = query, u = update, upsert = upsert or false, multi = multi or false }
end

local function update_statements(updates)
	local list = {}
	for i, u in ipairs(updates) do
		list[i] = update_statement(u.query, u.update, u.upsert, u.multi)
	end
	return list
end

function collection:update(query, update, upsert, multi)
	self.database:send_command("update", self.name, "updates", { update_statement(query, update, upsert, multi) })
end

function collection:safe_update(query, update, upsert, multi)
	return write_result(self.database:runCommand("update", self.name, "updates",
		{ update_statement(query, update, upsert, multi) }))
end

-- updates: { {query =, update =, upsert =, multi =}, ... }
function collection:batch_update(updates)
	self.database:send_command("update", self.name, "updates", update_statements(updates))
end

function collection:safe_batch_update(updates)
	return write_result(self.database:runCommand("update", self.name, "updates", update_statements(updates)))
end

-- statement: a bson object {q =, u =, ...}
function collection:raw_safe_update(statement)
	return write_result(self.database:runCommand("update", self.name, "updates", { statement }))
end

local function delete_statement(query, single)
	return encode { q = query, limit = single and 1 or 0 }
end

function collection:delete(query, single)
	self.database:send_command("delete", self.name, "deletes", { delete_statement(query, single) })
end

function collection:safe_delete(query, single)
	return write_result(self.database:runCommand("delete", self.name, "deletes", { delete_statement(query, single) }))
end

function collection:safe_batch_delete(queries, single)
	local list = {}
	for i, query in ipairs(queries) do
		list[i] = delete_statement(query, single)
	end
	return write_result(self.database:runCommand("delete", self.name, "deletes", list))
end

-- statement: a bson object {q =, limit =}
function collection:raw_safe_delete(statement)
	return write_result(self.database:runCommand("delete", self.name, "deletes", { statement }))
end

local function check_reply(reply)
	if reply.ok ~= 1 then
		error(reply.errmsg or "mongo: the command failed", 0)
	end
	return reply
end

-- the cursor of a successful find, aggregate or getMore reply
local function cursor_of(reply)
	local c = check_reply(reply).cursor
	if type(c) ~= "table" then
		error("mongo: the reply has no cursor", 0)
	end
	return c
end

function collection:findOne(query, projection)
	local reply = self.database:runCommand("find", self.name,
		"filter", query and encode(query) or EMPTY,
		"projection", projection and encode(projection) or EMPTY,
		"limit", 1, "singleBatch", true)
	local batch = cursor_of(reply).firstBatch
	return batch and batch[1]
end

-- doc: {query =, update = | remove = true, sort =, new =, fields =, upsert =};
-- returns the reply (the document is reply.value)
function collection:findAndModify(doc)
	assert(doc.query, "findAndModify needs a query")
	assert(doc.update or doc.remove, "findAndModify needs an update or remove")
	local args = {}
	for k, v in pairs(doc) do
		args[#args + 1] = k
		args[#args + 1] = v
	end
	return self.database:runCommand("findAndModify", self.name, table.unpack(args))
end

function collection:drop()
	return self.database:runCommand("drop", self.name)
end

-- name, or "*" for all but _id's
function collection:dropIndex(name)
	return self.database:runCommand("dropIndexes", self.name, "index", name)
end

---------------------------------------------------------------- indexes

-- An index described as { {k1 = 1}, "k2", ..., unique = true, name = ... }:
-- keys in order (a bare name means ascending), options by name.
local function index_model(spec)
	local model, keys, name_parts = {}, {}, {}
	for k, v in pairs(spec) do
		if type(k) == "string" then
			model[k] = v
		end
	end
	for _, key in ipairs(spec) do
		local field, order = key, 1
		if type(key) == "table" then
			field, order = next(key)
			assert(next(key, field) == nil, "an index key is a table of one field")
		end
		keys[#keys + 1] = field
		keys[#keys + 1] = order
		name_parts[#name_parts + 1] = field .. "_" .. tostring(order)
	end
	assert(#keys > 0, "an index needs keys")
	model.key = encode_order(table.unpack(keys))
	model.name = model.name or table.concat(name_parts, "_")
	return model
end

-- createIndex { {k1 = 1}, {k2 = -1}, unique = true }, createIndex { "k1", "k2" },
-- or, as skynet's older API, createIndex({ key = 1 }, { unique = true })
function collection:createIndex(spec, options)
	if options == nil then
		return self.database:runCommand("createIndexes", self.name, "indexes", { index_model(spec) })
	end
	local field = next(spec)
	if next(spec, field) ~= nil then
		error("createIndex(keys, options) takes one key; use createIndex { {k1 = 1}, {k2 = 1}, ... }", 2)
	end
	local model = { spec }
	for k, v in pairs(options) do
		model[k] = v
	end
	return self.database:runCommand("createIndexes", self.name, "indexes", { index_model(model) })
end

collection.ensureIndex = collection.createIndex

function collection:createIndexes(...)
	local models = {}
	for i, spec in ipairs { ... } do
		models[i] = index_model(spec)
	end
	return self.database:runCommand("createIndexes", self.name, "indexes", models)
end

---------------------------------------------------------------- cursors

-- A cursor runs its first command on the first hasNext, then getMore
-- while the server keeps the cursor open.  find and aggregate cursors
-- differ only in that first command (cursor.open) and in count.

local function new_cursor(coll, open, fields)
	fields.collection = coll
	fields.open = open
	fields.batch = false  -- the documents of the current batch
	fields.pos = 1        -- the next one in it
	fields.id = 0         -- the server's cursor id, 0 when closed
	fields.seen = 0       -- documents received
	fields.finished = false
	return setmetatable(fields, cursor_meta)
end

local function append(args, name, value)
	if value ~= nil then
		args[#args + 1] = name
		args[#args + 1] = value
	end
end

local function open_find(self)
	local args = { "find", self.collection.name, "filter", self.query, "projection", self.projection }
	append(args, "sort", self.sort_spec)
	append(args, "skip", self.skip_n)
	local limit = self.limit_n
	if limit and limit < 0 then -- a negative limit: one batch only
		append(args, "limit", -limit)
		append(args, "singleBatch", true)
	elseif limit and limit > 0 then
		append(args, "limit", limit)
	end
	append(args, "hint", self.hint_spec)
	append(args, "maxTimeMS", self.max_time)
	append(args, "batchSize", self.batch_size)
	return self.collection.database:runCommand(table.unpack(args))
end

function collection:find(query, projection)
	return new_cursor(self, open_find, {
		query = query and encode(query) or EMPTY,
		projection = projection and encode(projection) or EMPTY,
	})
end

-- The stages a cursor's sort, skip and limit add to an aggregate pipeline.
local function pipeline_of(self, with_skip_and_limit)
	local stages = table.move(self.pipeline, 1, #self.pipeline, 1, {})
	if self.sort_spec then
		stages[#stages + 1] = { ["$sort"] = self.sort_spec }
	end
	if with_skip_and_limit then
		if (self.skip_n or 0) > 0 then
			stages[#stages + 1] = { ["$skip"] = self.skip_n }
		end
		if (self.limit_n or 0) ~= 0 then
			stages[#stages + 1] = { ["$limit"] = math.abs(self.limit_n) }
		end
	end
	return stages
end

local function run_aggregate(self, stages)
	local args = { "aggregate", self.collection.name, "pipeline", stages }
	local options = self.options
	for k, v in pairs(options) do
		append(args, k, v)
	end
	if options.cursor == nil then
		append(args, "cursor", self.batch_size and { batchSize = self.batch_size } or EMPTY)
	end
	return self.collection.database:runCommand(table.unpack(args))
end

local function open_aggregate(self)
	return run_aggregate(self, pipeline_of(self, true))
end

-- pipeline: an array of stages; options: the aggregate command's other
-- fields (cursor = {} unless given)
function collection:aggregate(pipeline, options)
	assert(type(pipeline) == "table", "aggregate needs a pipeline")
	return new_cursor(self, open_aggregate, { pipeline = pipeline, options = options or {} })
end

-- cursor:sort { k = 1 } (one field, or a bson.encode_order object) or
-- cursor:sort({ k1 = 1 }, { k2 = -1 }, ...) for several fields in order
function cursor:sort(key, ...)
	if select("#", ...) == 0 then
		self.sort_spec = key
		return self
	end
	local fields = {}
	for _, one in ipairs { key, ... } do
		local field, order = next(one)
		fields[#fields + 1] = field
		fields[#fields + 1] = order
	end
	self.sort_spec = encode_order(table.unpack(fields))
	return self
end

function cursor:skip(n)
	self.skip_n = n
	return self
end

function cursor:limit(n)
	self.limit_n = n
	return self
end

function cursor:hint(index)
	self.hint_spec = index
	return self
end

function cursor:maxTimeMS(ms)
	self.max_time = ms
	return self
end

function cursor:batchSize(n)
	self.batch_size = n
	return self
end

-- the number of matching documents (after skip and limit when asked)
function cursor:count(with_skip_and_limit)
	local reply
	if self.open == open_aggregate then
		local stages = pipeline_of(self, with_skip_and_limit)
		stages[#stages + 1] = { ["$count"] = "n" }
		local batch = cursor_of(run_aggregate(self, stages)).firstBatch
		local row = batch and batch[1]
		return row and row.n or 0
	end
	local args = { "count", self.collection.name, "query", self.query }
	if with_skip_and_limit then
		append(args, "skip", self.skip_n)
		append(args, "limit", self.limit_n and math.abs(self.limit_n))
	end
	append(args, "hint", self.hint_spec)
	append(args, "maxTimeMS", self.max_time)
	reply = check_reply(self.collection.database:runCommand(table.unpack(args)))
	return reply.n
end

local function fetch_more(self)
	local args = { "getMore", int64(self.id), "collection", self.collection.name }
	append(args, "batchSize", self.batch_size)
	return self.collection.database:runCommand(table.unpack(args))
end

-- Fetches batches until one has documents; false at the end.
local function fill(self)
	while true do
		local reply
		if not self.batch then
			reply = self:open()
		elseif self.id ~= 0 then
			reply = fetch_more(self)
		else
			self.finished = true
			return false
		end
		local ok, c = pcall(cursor_of, reply)
		if not ok then
			self.finished, self.id = true, 0
			error(c, 0)
		end
		self.batch = c.firstBatch or c.nextBatch or {}
		self.pos = 1
		self.id = c.id or 0
		self.seen = self.seen + #self.batch
		local limit = self.limit_n and math.abs(self.limit_n) or 0
		if self.id ~= 0 and limit > 0 and self.seen >= limit then
			self:close()
		end
		if #self.batch > 0 then
			return true
		end
	end
end

function cursor:hasNext()
	if self.batch and self.pos <= #self.batch then
		return true
	end
	if self.finished then
		return false
	end
	return fill(self)
end

-- the next document, or nil after the last
function cursor:next()
	if not self:hasNext() then
		return nil
	end
	local doc = self.batch[self.pos]
	self.pos = self.pos + 1
	return doc
end

-- Tells the server to forget the cursor (unacknowledged).
function cursor:close()
	if self.id ~= 0 then
		local coll = self.collection
		local id = self.id
		self.id = 0
		kill_cursor(coll.database, coll.name, id)
	end
end

return mongo
