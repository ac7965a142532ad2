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
local skynet = require "skynet"

local cluster = {}
local clusterd

local senders = {}   -- node -> its clustersender
-- node -> the lookup under way: { coroutines waiting..., sends = { queued } }
local lookups = {}

local function deliver_queued(sender, sends)
	for _, m in ipairs(sends) do
		skynet.send(sender, "lua", "push", m.address, skynet.pack(skynet.unpack(m.packed)))
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
		q = { sends = {} }
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

function cluster.send(node, address, ...)
	local s = senders[node]
	if s then
		skynet.send(s, "lua", "push", address, skynet.pack(...))
	else
		local sends = pending_lookup(node).sends
		sends[#sends + 1] = { address = address, packed = skynet.packstring(...) }
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
