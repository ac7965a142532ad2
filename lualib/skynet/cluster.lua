-- skynet.cluster: calls to services on other nodes, wire-compatible with
-- skynet's cluster.
--
--   cluster.reload { db = "127.0.0.1:2528", __nowaiting = true }
--   cluster.open "db"  or  cluster.open(2528)   -- accept other nodes
--   cluster.call("db", "@sdb", "GET", "a")      -- like skynet.call
--   cluster.send("db", ".logger", "text")       -- like skynet.send
--   local p = cluster.proxy("db", "@sdb")        -- or cluster.proxy "db@sdb"
--   cluster.register("sdb", addr) / cluster.unregister "sdb"
--   cluster.query("db", "sdb")                   -- the handle "@sdb" names
--
-- A remote address is a handle on that node, a ".local" name there, or
-- "@name" registered there with cluster.register.  Each node is reached
-- through one clustersender service (one TCP connection); clusterd keeps
-- the node table (config key `cluster`).
--
-- Flow control: a service's one-way sends to a node are counted (bytes,
-- plus a fixed cost per message); every WINDOW of them it asks the sender
-- to confirm it has caught up ("drained": every earlier message is in the
-- socket, and the socket's unsent bytes are below its warning mark) and
-- the sending coroutine waits for that answer.  So a loop of cluster.send
-- keeps at most about two windows per service queued in the sender, never
-- an unbounded backlog; order is untouched (the wait comes after a send).
local skynet = require "skynet"

local cluster = {}
local clusterd

local senders = {}   -- node -> its clustersender
-- node -> the lookup under way: { coroutines waiting..., sends = { queued },
-- queued = their cost }
local lookups = {}

local WINDOW = 64 * 1024   -- the cost of sends between two drain confirmations
local MESSAGE_COST = 64    -- a message's cost beyond its bytes (queue entry, frame)
local unconfirmed = {}     -- sender -> cost sent since its last confirmation
local draining = {}        -- sender -> coroutines waiting for the confirmation asked for

-- Waits until sender s confirms it has caught up; threads of this service
-- reaching the window meanwhile wait for the same confirmation.
local function drain(s)
	local co = coroutine.running()
	local waiting = draining[s]
	if waiting then
		waiting[#waiting + 1] = co
		skynet.wait(co)
		return
	end
	waiting = {}
	draining[s] = waiting
	unconfirmed[s] = 0
	-- a sender that is gone has nothing left to drain
	pcall(skynet.call, s, "lua", "drained")
	draining[s] = nil
	for _, w in ipairs(waiting) do
		skynet.wakeup(w)
	end
end

-- counts a send's cost to s; true when the window is full
local function sent(s, sz)
	local cost = (unconfirmed[s] or 0) + sz + MESSAGE_COST
	unconfirmed[s] = cost
	return cost >= WINDOW
end

local function deliver_queued(sender, sends)
	for _, m in ipairs(sends) do
		local msg, sz = skynet.pack(skynet.unpack(m.packed))
		skynet.send(sender, "lua", "push", m.address, msg, sz)
		sent(sender, sz)
	end
end

-- Asks clusterd for node's sender, once at a time per node; sends made
-- meanwhile are queued and delivered first, in order.
local function lookup(node, q)
	local ok, found, s = pcall(skynet.call, clusterd, "lua", "sender", node)
	lookups[node] = nil
	if ok and found then
		senders[node] = s
		deliver_queued(s, q.sends)
	else
		q.err = ok and s or found
		skynet.error(q.err)
	end
	for _, co in ipairs(q) do
		skynet.wakeup(co)
	end
end

local function pending_lookup(node)
	local q = lookups[node]
	if q == nil then
		q = { sends = {}, queued = 0 }
		lookups[node] = q
		skynet.fork(lookup, node, q)
	end
	return q
end

local function get_sender(node)
	local s = senders[node]
	if s then
		return s
	end
	local q = pending_lookup(node)
	local co = coroutine.running()
	q[#q + 1] = co
	skynet.wait(co)
	return senders[node] or error(q.err, 0)
end

cluster.get_sender = get_sender

function cluster.call(node, address, ...)
	local s = senders[node] or get_sender(node)
	-- the sender frees the packed message
	return skynet.call(s, "lua", "req", address, skynet.pack(...))
end

-- May suspend the calling coroutine: to wait for the sender to catch up
-- (see flow control above), or for the node's sender once a window's worth
-- of sends is queued for it.  Messages to an unknown or down node are
-- dropped; the failed lookup is logged.
function cluster.send(node, address, ...)
	local s = senders[node]
	if s then
		local msg, sz = skynet.pack(...)
		skynet.send(s, "lua", "push", address, msg, sz)
		if sent(s, sz) then
			drain(s)
		end
		return
	end
	local q = pending_lookup(node)
	local packed = skynet.packstring(...)
	q.sends[#q.sends + 1] = { address = address, packed = packed }
	q.queued = q.queued + #packed + MESSAGE_COST
	if q.queued >= WINDOW then
		q.queued = 0
		local found
		found, s = pcall(get_sender, node)
		if found and (unconfirmed[s] or 0) >= WINDOW then
			drain(s)
		end
	end
end

-- open(name): listen on the address the node table gives name;
-- open(port [, maxclient]): listen on 0.0.0.0:port
function cluster.open(port, maxclient)
	if type(port) == "string" then
		return skynet.call(clusterd, "lua", "listen", port, nil, maxclient)
	end
	return skynet.call(clusterd, "lua", "listen", "0.0.0.0", port, maxclient)
end

-- reload(): re-read the file named by the config key `cluster`;
-- reload(t): take the node table t instead
function cluster.reload(config)
	skynet.call(clusterd, "lua", "reload", config)
end

-- proxy(node, address) or proxy "node@name" / "node.name": a local
-- service that forwards every lua message to address on node
function cluster.proxy(node, name)
	local ok, p = skynet.call(clusterd, "lua", "proxy", node, name)
	if not ok then
		error(p, 0)
	end
	return p
end

-- snax(node, name [, address]): a snax object for the snax service name on
-- node (its unique one, unless address is given), reached through a proxy;
-- the service must have called snax.enablecluster()
function cluster.snax(node, name, address)
	local snax = require "skynet.snax"
	address = address or cluster.call(node, ".service", "QUERY", "snaxd", name)
	return snax.bind(cluster.proxy(node, address), name)
end

function cluster.register(name, addr)
	assert(type(name) == "string", "cluster.register needs a name")
	assert(addr == nil or type(addr) == "number", "cluster.register needs a handle")
	return skynet.call(clusterd, "lua", "register", name, addr)
end

function cluster.unregister(name)
	assert(type(name) == "string", "cluster.unregister needs a name")
	return skynet.call(clusterd, "lua", "unregister", name)
end

-- query(node, name): the handle registered as name on node (an error
-- when there is none)
function cluster.query(node, name)
	return skynet.call(get_sender(node), "lua", "req", 0, skynet.pack(name))
end

skynet.init(function()
	clusterd = skynet.uniqueservice("clusterd")
end)

return cluster
