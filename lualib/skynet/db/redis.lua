-- skynet.db.redis: a non-blocking redis client on skynet.socketchannel.
--
--   local redis = require "skynet.db.redis"
--   local db = redis.connect { host = "127.0.0.1", port = 6379, db = 0,
--                              auth = "secret", username = nil, overload = f }
--   db:set("k", "v"); db:get "k"; db:hmset("h", "a", 1, "b", 2); db:hmset { "h", "a", 1 }
--   db:pipeline({ { "set", "k", 1 }, { "incr", "k" } } [, results])
--   db:disconnect()
--
-- Any method name not defined below is sent as a redis command of that
-- name (upper-cased); arguments are passed through tostring.  Replies map
-- to Lua: status -> string, integer -> integer, bulk -> string (nil when
-- absent), multi-bulk -> array (nested), error -> a Lua error carrying the
-- server's text.  The connection reconnects by itself: after the server
-- goes away, a request that finds the connection closed opens a new one
-- (running AUTH and SELECT again).
--
--   local w = redis.watch(conf)
--   w:subscribe("news", ...); w:psubscribe("user.*"); w:unsubscribe "news"
--   local data, channel, pattern = w:message()
local socketchannel = require "skynet.socketchannel"

local redis = {}

---------------------------------------------------------------- replies

-- The protocol is skynet.db.redis.resp's (C): requests are encoded there
-- in one call, and replies parsed there from the bytes received so far on
-- a connection (a string and the position of the first unparsed byte),
-- taken from the socket as they arrive rather than one line at a time.
-- The unparsed rest waits in `inbox` for the connection's next reply; a
-- connection that fails is dropped by the channel, its inbox with it.
local resp = require "skynet.db.redis.resp"
local resp_parse, resp_command = resp.parse, resp.command
local sub = string.sub
local inbox = setmetatable({}, { __mode = "k" }) -- sock -> { data, pos, scan... }
-- a bulk string missing more bytes than this is waited for whole
local BULK_WAIT = 4096

-- Reads count replies; with results, appends { ok = ok, out = value } for
-- each.  Returns the last reply's ok and value.  A reply not all received
-- waits for more bytes: for the rest of a long bulk string at once.
local function read_replies(sock, count, results)
	local box = inbox[sock]
	if box == nil then
		box = { "", 1 }
		inbox[sock] = box
	end
	local at = results and #results + 1
	local done, n, ok, value, need = 0
	while true do
		n, ok, value, need = resp_parse(box, count - done, results, at and at + done)
		done = done + n
		if need == nil then
			return ok, value
		end
		local more = need > BULK_WAIT and sock:read(need) or sock:read()
		local data, pos = box[1], box[2]
		box[1] = pos <= #data and sub(data, pos) .. more or more
		box[2] = 1
	end
end

local function read_reply(sock)
	return read_replies(sock, 1)
end

local function read_boolean(sock)
	local ok, value = read_replies(sock, 1)
	return ok, value ~= 0
end

---------------------------------------------------------------- connections

local command = {}
local meta = { __index = command } -- no __gc: the channel closes itself when collected

-- runs AUTH and SELECT on every (re)connect, when configured
local function login(conf)
	local password, db = conf.auth, conf.db
	if password == nil and db == nil then
		return nil
	end
	return function(channel)
		if password ~= nil then
			if conf.username then
				channel:request(resp_command("AUTH", conf.username, password), read_reply)
			else
				channel:request(resp_command("AUTH", password), read_reply)
			end
		end
		if db ~= nil then
			channel:request(resp_command("SELECT", db), read_reply)
		end
	end
end

local function new_channel(conf, auth)
	assert(type(conf) == "table", "redis: connect needs a config table")
	return socketchannel.channel {
		host = conf.host or "127.0.0.1",
		port = conf.port or 6379,
		auth = auth,
		nodelay = true,
		overload = conf.overload,
	}
end

function redis.connect(conf)
	local channel = new_channel(conf, login(conf))
	channel:connect(true)
	return setmetatable({ channel }, meta)
end

function command:disconnect()
	self[1]:close()
	setmetatable(self, nil)
end

-- every other method is the redis command of that name
setmetatable(command, {
	__index = function(methods, name)
		if type(name) ~= "string" then
			return nil
		end
		local f = function(self, ...)
			return self[1]:request(resp_command(name, ...), read_reply)
		end
		methods[name] = f
		return f
	end,
})

-- EXISTS and SISMEMBER answer booleans
function command:exists(key)
	return self[1]:request(resp_command("EXISTS", key), read_boolean)
end

function command:sismember(key, member)
	return self[1]:request(resp_command("SISMEMBER", key, member), read_boolean)
end

-- Sends every { name, args... } of ops in one write and reads as many
-- replies.  With a results table, appends { ok = ok, out = value } for each
-- reply and returns it; without, returns the last reply (raising if it is
-- an error).
function command:pipeline(ops, results)
	assert(type(ops) == "table" and #ops > 0, "pipeline is null")
	local requests, count = resp.pipeline(ops)
	return self[1]:request(requests, function(sock)
		if results then
			read_replies(sock, count, results)
			return true, results
		end
		return read_replies(sock, count)
	end)
end

---------------------------------------------------------------- watch

-- A connection in subscribe mode.  The channels and patterns subscribed are
-- remembered and subscribed again after a reconnect.
local watch = {}
local watch_meta = {
	__index = watch,
	__gc = function(self)
		self.__sock:close()
	end,
}

local function watch_login(conf, obj)
	local auth = login(conf)
	return function(channel)
		if auth then
			auth(channel)
		end
		for pattern in pairs(obj.__psubscribe) do
			channel:request(resp_command("PSUBSCRIBE", pattern))
		end
		for name in pairs(obj.__subscribe) do
			channel:request(resp_command("SUBSCRIBE", name))
		end
	end
end

function redis.watch(conf)
	local obj = { __subscribe = {}, __psubscribe = {} }
	obj.__sock = new_channel(conf, watch_login(conf, obj))
	obj.__sock:connect(true)
	return setmetatable(obj, watch_meta)
end

function watch:disconnect()
	self.__sock:close()
	setmetatable(self, nil)
end

-- subscribe(...) and friends send one command per name and do not wait:
-- the server's confirmations are read (and skipped) by message().
local function subscriber(name, set_name, subscribing)
	return function(self, ...)
		local set = self[set_name]
		local channel = self.__sock
		local n = select("#", ...)
		if n == 0 and not subscribing then
			for k in pairs(set) do
				set[k] = nil
			end
			channel:request(resp_command(name))
		end
		for i = 1, n do
			local target = select(i, ...)
			set[tostring(target)] = subscribing or nil
			channel:request(resp_command(name, target))
		end
	end
end

watch.subscribe = subscriber("SUBSCRIBE", "__subscribe", true)
watch.psubscribe = subscriber("PSUBSCRIBE", "__psubscribe", true)
watch.unsubscribe = subscriber("UNSUBSCRIBE", "__subscribe", false)
watch.punsubscribe = subscriber("PUNSUBSCRIBE", "__psubscribe", false)

-- Waits for the next published message: returns data, channel for a
-- channel message and data, channel, pattern for a pattern match.  A
-- broken connection is reopened (and the subscriptions renewed) meanwhile.
function watch:message()
	local channel = self.__sock
	while true do
		local ok, reply = pcall(channel.response, channel, read_reply)
		if ok and type(reply) == "table" then
			local kind = reply[1]
			if kind == "message" then
				return reply[3], reply[2]
			elseif kind == "pmessage" then
				return reply[4], reply[3], reply[2]
			end
		elseif not ok and (reply ~= socketchannel.error or getmetatable(self) == nil) then
			error(reply)
		end
	end
end

return redis
