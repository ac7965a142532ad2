-- skynet.db.redis.cluster: a redis cluster client on skynet.db.redis.
--
--   local rediscluster = require "skynet.db.redis.cluster"
--   local db = rediscluster.new({ { host = "127.0.0.1", port = 7000 }, ... },
--       { auth = nil, db = 0, read_slave = false, max_connections = 256 },
--       function(data, channel, pattern) ... end)   -- for (p)subscribe
--   db:set("k", 1); db:get "k"; db:eval(script, 1, "k", ...)
--
-- A command goes to the node serving the hash slot of its key (its first
-- argument; for EVAL/EVALSHA the first of its keys).  The slot map comes
-- from CLUSTER SLOTS; a MOVED reply updates it (and the whole map is read
-- again before the next command), an ASK reply sends the command once to
-- the named node after ASKING.  At most 16 redirections per command.
local skynet = require "skynet"
local redis = require "skynet.db.redis"
local socketchannel = require "skynet.socketchannel"
local crc16 = require "skynet.db.redis.crc16"

local SLOTS = 16384
local MAX_REDIRECTIONS = 16

local rediscluster = {}

local client = {}
local client_meta = { __index = client }

function rediscluster.new(startup_nodes, opt, onmessage)
	assert(type(startup_nodes) == "table", "rediscluster.new needs the startup nodes")
	if #startup_nodes == 0 then
		startup_nodes = { startup_nodes }
	end
	opt = opt or {}
	local self = setmetatable({
		startup_nodes = startup_nodes,
		opt = opt,
		max_connections = opt.max_connections or 256,
		connections = {},      -- "host:port" -> redis connection
		connecting = {},       -- "host:port" -> coroutines waiting for that connect
		slots = {},            -- slot -> master node
		nodes = {},            -- master nodes, each with its slaves
		refresh_table_asap = false,
		__onmessage = onmessage,
		__watching = {},       -- "host:port" -> redis.watch object
	}, client_meta)
	self:initialize_slots_cache()
	return self
end

local function node_name(node)
	node.name = node.name or (node.host .. ":" .. node.port)
	return node.name
end

local function node_conf(self, node)
	return { host = node.host, port = node.port, auth = self.opt.auth, db = self.opt.db or 0 }
end

---------------------------------------------------------------- slots

-- The hash slot of a key: only the part inside the first {...} counts
-- when that part is not empty (hash tags).
function client:keyslot(key)
	key = tostring(key)
	local open = key:find("{", 1, true)
	if open then
		local close = key:find("}", open + 1, true)
		if close and close > open + 1 then
			key = key:sub(open + 1, close - 1)
		end
	end
	return crc16(key) % SLOTS
end

local function read_node(entry)
	local node = { host = assert(entry[1], "CLUSTER SLOTS: node without address"),
		port = assert(math.tointeger(entry[2]), "CLUSTER SLOTS: node without port") }
	node_name(node)
	return node
end

-- Reads the slot map from the first startup node that answers.
function client:initialize_slots_cache()
	for _, startup in ipairs(self.startup_nodes) do
		local ok, ranges = pcall(function()
			return self:get_connection(startup):cluster "slots"
		end)
		if ok then
			local slots, nodes = {}, {}
			for _, range in ipairs(ranges) do
				local master = read_node(range[3])
				master.slaves = {}
				for i = 4, #range do
					master.slaves[#master.slaves + 1] = read_node(range[i])
				end
				nodes[#nodes + 1] = master
				for slot = range[1], range[2] do
					slots[slot] = master
				end
			end
			self.slots, self.nodes = slots, nodes
			self.refresh_table_asap = false
			return
		end
	end
end

-- Forgets the slot map: commands go to random nodes and follow MOVED.
function client:flush_slots_cache()
	self.slots = {}
end

---------------------------------------------------------------- connections

-- Runs make() once for key while other coroutines asking for the same key
-- wait for (and share) its result.
local function once(waiting, key, make)
	local queue = waiting[key]
	if queue then
		local co = coroutine.running()
		queue[#queue + 1] = co
		skynet.wait(co)
		local result = queue.result
		if not result[1] then
			error(result[2])
		end
		return result[2]
	end
	queue = {}
	waiting[key] = queue
	local result = table.pack(pcall(make))
	waiting[key] = nil
	queue.result = result
	for _, co in ipairs(queue) do
		skynet.wakeup(co)
	end
	if not result[1] then
		error(result[2])
	end
	return result[2]
end

-- closes one cached connection when the cache is full
local function make_room(self)
	local count = 0
	for _ in pairs(self.connections) do
		count = count + 1
	end
	if count >= self.max_connections then
		local name, conn = next(self.connections)
		self.connections[name] = nil
		pcall(conn.disconnect, conn)
	end
end

function client:get_redis_link(node)
	return redis.connect(node_conf(self, node))
end

function client:get_connection(node)
	local name = node_name(node)
	local conn = self.connections[name]
	if conn then
		return conn
	end
	return once(self.connecting, name, function()
		make_room(self)
		local link = self:get_redis_link(node)
		self.connections[name] = link
		return link
	end)
end

function client:close_all_connection()
	local connections = self.connections
	self.connections = {}
	for _, conn in pairs(connections) do
		pcall(conn.disconnect, conn)
	end
end

-- A connection to any master that answers PING, tried in random order.
function client:get_random_connection()
	local order = {}
	for i = 1, #self.nodes do
		table.insert(order, math.random(i), i)
	end
	for _, i in ipairs(order) do
		local node = self.nodes[i]
		local ok, conn = pcall(self.get_connection, self, node)
		if ok then
			if pcall(conn.ping, conn) then
				return conn
			end
			self.connections[node_name(node)] = nil
			pcall(conn.disconnect, conn)
		end
	end
	error("Can't reach a single startup node.")
end

-- The connection to the master serving slot; a slave of it (in READONLY
-- mode) when the master is unreachable and opt.read_slave is set.
function client:get_connection_by_slot(slot)
	local node = self.slots[slot]
	if not node then
		return self:get_random_connection()
	end
	local ok, conn = pcall(self.get_connection, self, node)
	if ok then
		return conn
	end
	local slaves = node.slaves
	if self.opt.read_slave and slaves and #slaves > 0 then
		local slave_ok, slave = pcall(self.get_connection, self, slaves[math.random(#slaves)])
		if slave_ok then
			slave:readonly()
			return slave
		end
	end
	return self:get_random_connection()
end

---------------------------------------------------------------- commands

-- commands that cannot be routed to one node
local unroutable = { info = true, multi = true, exec = true, slaveof = true, config = true, shutdown = true }

-- The key whose slot decides where argv (name, args...) goes; nil for a
-- script without keys (any node will do).
function client:get_key_from_command(name, argv)
	if unroutable[name] then
		error("No way to dispatch this command to Redis Cluster: " .. tostring(argv[1]))
	end
	if name == "eval" or name == "evalsha" then
		local numkeys = tonumber(argv[3]) or 0
		local first
		for i = 4, 3 + numkeys do
			local slot = self:keyslot(argv[i])
			first = first or slot
			if slot ~= first then
				error(name .. " - all keys must map to the same key slot")
			end
		end
		return numkeys > 0 and argv[4] or nil
	end
	local key = argv[2]
	if type(key) == "table" then -- db:hmset { key, field, value, ... }
		key = key[1]
	end
	if key == nil then
		error("No way to dispatch this command to Redis Cluster: " .. tostring(argv[1]))
	end
	return key
end

local subscribing = { subscribe = true, psubscribe = true, unsubscribe = true, punsubscribe = true }

-- "MOVED slot host:port" or "ASK slot host:port" in an error message
local function redirection(err)
	local kind, slot, host, port = tostring(err):match("(%u+) (%d+) (%S+):(%d+)%s*$")
	if kind == "MOVED" or kind == "ASK" then
		return kind, math.tointeger(slot), { host = host, port = math.tointeger(port) }
	end
end

-- Sends argv (name, args...) to the node of its key, following redirections.
function client:call(...)
	local argv = table.pack(...)
	local name = string.lower(argv[1])
	local key = self:get_key_from_command(name, argv)
	if subscribing[name] then
		local conn = self:get_watch_connection_by_slot(self:keyslot(key))
		return conn[name](conn, table.unpack(argv, 2, argv.n))
	end
	if self.refresh_table_asap then
		self:initialize_slots_cache()
	end
	local asking, random_node, last_error
	for ttl = MAX_REDIRECTIONS, 1, -1 do
		local target = asking
		asking = nil
		local ok, result = pcall(function()
			if target then
				-- ASKING and the command in one write: nothing comes between them
				return self:get_connection(target):pipeline { { "asking" }, argv }
			end
			local conn
			if random_node or key == nil then
				random_node = false
				conn = self:get_random_connection()
			else
				conn = self:get_connection_by_slot(self:keyslot(key))
			end
			return conn[name](conn, table.unpack(argv, 2, argv.n))
		end)
		if ok then
			return result
		end
		last_error = result
		local kind, slot, node = redirection(result)
		if kind == "ASK" then
			asking = node
		elseif kind == "MOVED" then
			local old = self.slots[slot]
			node.slaves = old and old.slaves
			node_name(node)
			self.slots[slot] = node
			self.refresh_table_asap = true
		elseif result == socketchannel.error then
			random_node = true
			if ttl < MAX_REDIRECTIONS / 2 then
				skynet.sleep(10)
			end
		else
			error(result, 0)
		end
	end
	error(string.format("Too many Cluster redirections?,maybe node is disconnected (last error: %q)", tostring(last_error)))
end

---------------------------------------------------------------- subscribe

function client:get_watch_connection(node)
	local name = node_name(node)
	local w = self.__watching[name]
	if w then
		return w
	end
	return once(self.connecting, "watch " .. name, function()
		local watcher = redis.watch(node_conf(self, node))
		self.__watching[name] = watcher
		local onmessage = self.__onmessage
		skynet.fork(function()
			while getmetatable(watcher) do
				local ok, data, channel, pattern = pcall(watcher.message, watcher)
				if ok then
					if onmessage then
						local handled, err = pcall(onmessage, data, channel, pattern)
						if not handled then
							skynet.error("rediscluster onmessage:", err)
						end
					end
				elseif getmetatable(watcher) then
					skynet.error("rediscluster watch " .. name .. ":", data)
					skynet.sleep(100)
				end
			end
		end)
		return watcher
	end)
end

function client:get_watch_connection_by_slot(slot)
	if not self.slots[slot] then
		self:initialize_slots_cache()
	end
	return self:get_watch_connection(assert(self.slots[slot], "no node serves slot " .. slot))
end

-- every other method is the cluster command of that name
setmetatable(client, {
	__index = function(methods, name)
		if type(name) ~= "string" then
			return nil
		end
		local f = function(self, ...)
			return self:call(name, ...)
		end
		methods[name] = f
		return f
	end,
})

return rediscluster
