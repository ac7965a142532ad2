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

-- Replies are parsed from the bytes received so far on a connection (a
-- string and the position of the first unparsed byte), taken from the
-- socket as they arrive rather than one line or bulk at a time: a pipeline
-- of replies costs a few string searches, not a socket read per part.
-- The unparsed rest waits in `inbox` for the connection's next reply; a
-- connection that fails is dropped by the channel, its inbox with it.
local find, sub, byte = string.find, string.sub, string.byte
local inbox = setmetatable({}, { __mode = "k" }) -- sock -> { data, pos }

local function reply_number(line)
	local n = tonumber(line, 10)
	if not n then
		error("redis: malformed reply header " .. string.format("%q", line))
	end
	return n
end

-- data, pos and the end of the header line at data[pos..], receiving
-- more bytes until it is complete
local function header_end(sock, data, pos)
	local cr = find(data, "\r\n", pos, true)
	while not cr do
		local searched = #data - pos -- bytes known to hold no CRLF
		data = sub(data, pos) .. sock:read()
		pos = 1
		cr = find(data, "\r\n", searched > 0 and searched or 1, true)
	end
	return data, pos, cr
end

local BULK, STATUS, ERROR, INTEGER, ARRAY = byte("$+-:*", 1, -1)

-- One reply at data[pos..]: ok (false for an error reply), the value, and
-- data, pos after the reply.  One function for every type: a pipeline of
-- small replies is mostly the cost of the calls made per reply.
local function parse(sock, data, pos)
	local cr = find(data, "\r\n", pos, true)
	if not cr then
		data, pos, cr = header_end(sock, data, pos)
	end
	local kind, line = byte(data, pos), sub(data, pos + 1, cr - 1)
	pos = cr + 2
	if kind == BULK then
		local len = reply_number(line)
		if len < 0 then
			return true, nil, data, pos
		end
		local stop = pos + len -- where the value's CRLF starts
		if stop + 1 > #data then
			-- exactly the missing bytes: a large value is not gathered piecemeal
			data = sub(data, pos) .. sock:read(stop + 1 - #data)
			pos, stop = 1, len + 1
		end
		local c, l = byte(data, stop, stop + 1)
		if c ~= 13 or l ~= 10 then
			error "redis: bulk reply not terminated by CRLF"
		end
		return true, sub(data, pos, stop - 1), data, stop + 2
	elseif kind == STATUS then
		return true, line, data, pos
	elseif kind == ERROR then
		return false, line, data, pos
	elseif kind == INTEGER then
		return true, reply_number(line), data, pos
	elseif kind == ARRAY then
		-- an array with an error inside is an error reply as a whole (the
		-- array is the error value, as skynet does for EXEC)
		local n = reply_number(line)
		if n < 0 then
			return true, nil, data, pos
		end
		local array = {}
		local all_ok = true
		for i = 1, n do
			local ok, value
			ok, value, data, pos = parse(sock, data, pos)
			all_ok = all_ok and ok
			array[i] = value
		end
		return all_ok, array, data, pos
	end
	error("redis: unknown reply type " .. string.format("%q", sub(data, cr - #line - 1, cr - 1):sub(1, 32)))
end

-- The connection's unparsed bytes
local function take_inbox(sock)
	local box = inbox[sock]
	if box == nil then
		box = { "", 1 }
		inbox[sock] = box
	end
	return box, box[1], box[2]
end

local function keep_inbox(box, data, pos)
	if pos > #data then
		data, pos = "", 1 -- nothing left: let the string go
	end
	box[1], box[2] = data, pos
end

local function read_reply(sock)
	local box, data, pos = take_inbox(sock)
	local ok, value
	ok, value, data, pos = parse(sock, data, pos)
	keep_inbox(box, data, pos)
	return ok, value
end

local function read_boolean(sock)
	local ok, value = read_reply(sock)
	return ok, value ~= 0
end

---------------------------------------------------------------- requests

-- "*<count>\r\n$<len>\r\n<NAME>" opening a request, for each command name
-- and count of strings (the small counts built once)
local request_head = setmetatable({}, {
	__index = function(cache, name)
		local upper = name:upper()
		local by_count = setmetatable({}, {
			__index = function(heads, count)
				local head = "*" .. count .. "\r\n$" .. #upper .. "\r\n" .. upper
				if count <= 1024 then
					heads[count] = head
				end
				return head
			end,
		})
		cache[name] = by_count
		return by_count
	end,
})

-- "\r\n$<len>\r\n": the end of the previous string and the length of an
-- argument (the small lengths built once)
local bulk_line = setmetatable({}, {
	__index = function(cache, len)
		local line = "\r\n$" .. len .. "\r\n"
		if len <= 1024 then
			cache[len] = line
		end
		return line
	end,
})

-- Appends the RESP array for command name with args[first..last] to out
-- (a table of strings the socket concatenates) after its n-th string;
-- returns the count of strings in out.
local function append_command(out, n, name, args, first, last)
	out[n + 1] = request_head[name][last - first + 2]
	n = n + 1
	for i = first, last do
		local v = args[i]
		if v == nil then
			error(string.format("redis %s: argument %d is nil", name, i - first + 1), 3)
		end
		if type(v) ~= "string" then
			v = tostring(v)
		end
		out[n + 1] = bulk_line[#v]
		out[n + 2] = v
		n = n + 2
	end
	out[n + 1] = "\r\n"
	return n + 1
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
	local out = {}
	append_command(out, 0, name, args, 1, args.n or #args)
	return out
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
			local out = {}
			append_command(out, 0, name, args, 1, args.n or #args)
			return self[1]:request(out, read_reply)
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
	local out, n = {}, 0
	for i, op in ipairs(ops) do
		if type(op) ~= "table" or type(op[1]) ~= "string" then
			error("redis pipeline: operation " .. i .. " is not { name, args... }", 2)
		end
		n = append_command(out, n, op[1], op, 2, op.n or #op)
	end
	local count = #ops
	if results then
		return self[1]:request(out, function(sock)
			local box, data, pos = take_inbox(sock)
			local ok, value
			local last = #results
			for i = 1, count do
				ok, value, data, pos = parse(sock, data, pos)
				results[last + i] = { ok = ok, out = value }
			end
			keep_inbox(box, data, pos)
			return true, results
		end)
	end
	return self[1]:request(out, function(sock)
		local box, data, pos = take_inbox(sock)
		local ok, value
		for _ = 1, count do
			ok, value, data, pos = parse(sock, data, pos)
		end
		keep_inbox(box, data, pos)
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
