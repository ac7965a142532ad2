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

local read_reply

local function reply_number(line)
	local n = math.tointeger(tonumber(line, 10))
	if not n then
		error("redis: malformed reply header " .. string.format("%q", line))
	end
	return n
end

-- Each reader gets the socket and the header line without its type byte;
-- it returns ok (false for an error reply) and the value.
local reply_reader = {}

reply_reader[string.byte "+"] = function(_, line)
	return true, line
end

reply_reader[string.byte "-"] = function(_, line)
	return false, line
end

reply_reader[string.byte ":"] = function(_, line)
	return true, reply_number(line)
end

reply_reader[string.byte "$"] = function(sock, line)
	local len = reply_number(line)
	if len < 0 then
		return true, nil
	end
	local data = sock:read(len + 2)
	if data:sub(-2) ~= "\r\n" then
		error "redis: bulk reply not terminated by CRLF"
	end
	return true, data:sub(1, -3)
end

-- An array with an error inside is an error reply as a whole (the array is
-- the error value, as skynet does for EXEC).
reply_reader[string.byte "*"] = function(sock, line)
	local n = reply_number(line)
	if n < 0 then
		return true, nil
	end
	local array = {}
	local all_ok = true
	for i = 1, n do
		local ok, value = read_reply(sock)
		all_ok = all_ok and ok
		array[i] = value
	end
	return all_ok, array
end

function read_reply(sock)
	local line = sock:readline "\r\n"
	local reader = reply_reader[line:byte(1)]
	if not reader then
		error("redis: unknown reply type " .. string.format("%q", line:sub(1, 32)))
	end
	return reader(sock, line:sub(2))
end

local function read_boolean(sock)
	local ok, value = read_reply(sock)
	return ok, value ~= 0
end

---------------------------------------------------------------- requests

-- "$<len>\r\n<NAME>\r\n" for each command name, built once
local command_header = setmetatable({}, {
	__index = function(cache, name)
		local upper = name:upper()
		local header = "$" .. #upper .. "\r\n" .. upper .. "\r\n"
		cache[name] = header
		return header
	end,
})

-- Appends the RESP array for command name with args[first..last] to out
-- (a table of strings the socket concatenates).
local function append_command(out, name, args, first, last)
	out[#out + 1] = "*" .. (last - first + 2) .. "\r\n"
	out[#out + 1] = command_header[name]
	for i = first, last do
		local v = args[i]
		if v == nil then
			error(string.format("redis %s: argument %d is nil", name, i - first + 1), 3)
		end
		v = tostring(v)
		out[#out + 1] = "$" .. #v .. "\r\n"
		out[#out + 1] = v
		out[#out + 1] = "\r\n"
	end
	return out
end

local no_args = { n = 0 }

-- The arguments of cmd(v, ...): none, one table of arguments, or the
-- arguments themselves (packed here, not passed on: HMSET may have
-- hundreds of thousands)
local function arguments(v, ...)
	if v == nil then
		return no_args
	elseif type(v) == "table" then
		return v
	end
	return table.pack(v, ...)
end

local function compose(name, ...)
	local args = arguments(...)
	return append_command({}, name, args, 1, args.n or #args)
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
				channel:request(compose("AUTH", conf.username, password), read_reply)
			else
				channel:request(compose("AUTH", password), read_reply)
			end
		end
		if db ~= nil then
			channel:request(compose("SELECT", db), read_reply)
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
		local f = function(self, v, ...)
			local args = v
			if type(v) ~= "table" then
				args = arguments(v, ...)
			end
			return self[1]:request(append_command({}, name, args, 1, args.n or #args), read_reply)
		end
		methods[name] = f
		return f
	end,
})

-- EXISTS and SISMEMBER answer booleans
function command:exists(key)
	return self[1]:request(compose("EXISTS", key), read_boolean)
end

function command:sismember(key, member)
	return self[1]:request(compose("SISMEMBER", key, member), read_boolean)
end

-- Sends every { name, args... } of ops in one write and reads as many
-- replies.  With a results table, appends { ok = ok, out = value } for each
-- reply and returns it; without, returns the last reply (raising if it is
-- an error).
function command:pipeline(ops, results)
	assert(type(ops) == "table" and #ops > 0, "pipeline is null")
	local out = {}
	for i, op in ipairs(ops) do
		if type(op) ~= "table" or type(op[1]) ~= "string" then
			error("redis pipeline: operation " .. i .. " is not { name, args... }", 2)
		end
		append_command(out, op[1], op, 2, op.n or #op)
	end
	local count = #ops
	if results then
		return self[1]:request(out, function(sock)
			for _ = 1, count do
				local ok, value = read_reply(sock)
				results[#results + 1] = { ok = ok, out = value }
			end
			return true, results
		end)
	end
	return self[1]:request(out, function(sock)
		local ok, value
		for _ = 1, count do
			ok, value = read_reply(sock)
		end
		return ok, value
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
			channel:request(compose("PSUBSCRIBE", pattern))
		end
		for name in pairs(obj.__subscribe) do
			channel:request(compose("SUBSCRIBE", name))
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
			channel:request(compose(name))
		end
		for i = 1, n do
			local target = select(i, ...)
			set[tostring(target)] = subscribing or nil
			channel:request(compose(name, target))
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
