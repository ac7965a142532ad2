-- clusterd: the node table and the connections of skynet.cluster (one per
-- node, started by skynet.cluster).
--
-- The node table comes from the file named by the config key `cluster`
-- (Lua: `name = "host:port"` lines, `name = false` for a node that is
-- down) or from cluster.reload{...}.  Keys starting with "__" are options:
--   __nowaiting = true   a call to an unknown node fails at once instead
--                        of waiting for a reload that names it
--   __timeout = 5        seconds: how long a connect may take, and how long
--                        a connection with calls in flight may stay silent
--                        before it is dropped (its calls then fail)
--
-- Outgoing: one clustersender per node, created on first use and told
-- when the node's address changes.  Incoming: a gate per cluster.open,
-- and one clusteragent per accepted connection.
local skynet = require "skynet"
require "skynet.manager"
local core = require "skynet.cluster.core"

local config_file = skynet.getenv "cluster"
local nodename = core.nodename()

local options = { timeout = 5 }
local node_address = {}   -- node -> "host:port" or false (down)
local node_sender = {}    -- node -> clustersender
local name_waiters = {}   -- node -> coroutines waiting for node to be named
local command = {}

local function split_address(address)
	local host, port = address:match "^%[(.-)%]:(%d+)$"
	if not host then
		host, port = address:match "^(.-):(%d+)$"
	end
	if not host then
		error(string.format("Invalid cluster address %q (must be host:port)", address))
	end
	return host, tonumber(port)
end

local function wake_name_waiters(node)
	local waiting = name_waiters[node]
	if waiting then
		name_waiters[node] = nil
		for _, co in ipairs(waiting) do
			skynet.wakeup(co)
		end
	end
end

local function wait_for_name(node)
	skynet.error(string.format("Waiting for cluster node [%s]", node))
	local waiting = name_waiters[node] or {}
	name_waiters[node] = waiting
	local co = coroutine.running()
	waiting[#waiting + 1] = co
	skynet.wait(co)
end

local function sender_options()
	return { timeout = options.timeout }
end

-- the sender of node, created on first use; raises if node is unknown
-- (after waiting for it unless __nowaiting) or down
local function sender_of(node)
	while node_address[node] == nil and not options.nowaiting do
		wait_for_name(node)
	end
	local address = node_address[node]
	if address == nil then
		error(string.format("cluster node [%s] is absent.", node), 0)
	elseif address == false then
		error(string.format("cluster node [%s] is down.", node), 0)
	end
	local s = node_sender[node]
	if s == nil then
		local host, port = split_address(address)
		s = skynet.newservice("clustersender", node, nodename, host, port)
		if node_sender[node] then -- another call made one meanwhile
			skynet.kill(s)
			s = node_sender[node]
		else
			node_sender[node] = s
			skynet.send(s, "lua", "options", sender_options())
		end
	end
	return s
end

local function tell_sender(node, address)
	local s = node_sender[node]
	if s == nil then
		return
	end
	if address then
		local ok, host, port = pcall(split_address, address)
		if not ok then
			skynet.error(host)
			return
		end
		skynet.send(s, "lua", "changenode", host, port)
	else
		skynet.send(s, "lua", "changenode", false)
	end
end

local function read_config_file()
	local t = {}
	if config_file then
		local f = assert(io.open(config_file))
		local source = f:read "a"
		f:close()
		assert(load(source, "@" .. config_file, "t", t))()
	end
	return t
end

local function apply_config(t)
	local options_changed = false
	for name, value in pairs(t) do
		if name:sub(1, 2) == "__" then
			local opt = name:sub(3)
			skynet.error(string.format("Config %s = %s", opt, tostring(value)))
			options[opt] = value
			options_changed = true
		end
	end
	for name, address in pairs(t) do
		if name:sub(1, 2) ~= "__" then
			assert(address == false or type(address) == "string",
				string.format("cluster node [%s] needs an address string or false", name))
			if node_address[name] ~= address then
				node_address[name] = address
				tell_sender(name, address)
			end
			if name_waiters[name] then
				skynet.error(string.format("Cluster node [%s] resolved : %s", name, tostring(address)))
				wake_name_waiters(name)
			end
		end
	end
	if options_changed then
		for _, s in pairs(node_sender) do
			skynet.send(s, "lua", "options", sender_options())
		end
	end
	if options.nowaiting then
		for node in pairs(name_waiters) do
			wake_name_waiters(node)
		end
	end
end

function command.reload(_, t)
	apply_config(t or read_config_file())
	skynet.ret(skynet.pack(nil))
end

-- answers true, sender or false, why (the caller raises it: an unknown
-- node is the caller's mistake, not clusterd's)
function command.sender(_, node)
	skynet.retpack(pcall(sender_of, node))
end

function command.senders()
	skynet.retpack(node_sender)
end

---------------------------------------------------------------- proxies

local proxies = {}   -- "node.address" -> clusterproxy

local function proxy_of(node, name)
	if name == nil then
		local n, a = node:match "^([^@.]+)([@.].+)$"
		if n == nil then
			error("Invalid name " .. tostring(node), 0)
		end
		node, name = n, a
	end
	local key = node .. "." .. tostring(name)
	local p = proxies[key]
	if p == nil then
		p = skynet.newservice("clusterproxy", node, name, sender_of(node))
		if proxies[key] then
			skynet.kill(p)
			p = proxies[key]
		else
			proxies[key] = p
		end
	end
	return p
end

-- answers true, proxy or false, why (as sender does)
function command.proxy(_, node, name)
	skynet.retpack(pcall(proxy_of, node, name))
end

---------------------------------------------------------------- incoming

local agents = {}          -- fd -> clusteragent, or false while it starts
local closed_early = {}    -- fd -> true: closed while its agent started
local gates = {}           -- fd -> the gate that accepted it
local registered = {}      -- name -> handle and handle -> name

local function forget_names_in_agents()
	for _, agent in pairs(agents) do
		if agent then
			skynet.send(agent, "lua", "namechange")
		end
	end
end

function command.register(source, name, addr)
	assert(registered[name] == nil, string.format("cluster name [%s] is already registered", name))
	addr = addr or source
	local old = registered[addr]
	if old then
		registered[old] = nil
		forget_names_in_agents()
	end
	registered[addr] = name
	registered[name] = addr
	skynet.ret(nil)
	skynet.error(string.format("Register [%s] :%08x", name, addr))
end

function command.unregister(_, name)
	local addr = registered[name]
	if addr then
		registered[addr] = nil
		registered[name] = nil
		forget_names_in_agents()
		skynet.error(string.format("Unregister [%s] :%08x", name, addr))
	end
	skynet.ret(nil)
end

function command.queryname(_, name)
	skynet.ret(skynet.pack(registered[name]))
end

function command.listen(_, addr, port, maxclient)
	local host = addr
	if port == nil then
		local address = node_address[addr]
		if not address then
			error(string.format("cluster node [%s] has no address to listen on", addr))
		end
		host, port = split_address(address)
	end
	local gate = skynet.newservice("gate")
	skynet.call(gate, "lua", "open", { address = host, port = port, maxclient = maxclient, nodelay = true })
	skynet.ret(skynet.pack(addr, port))
end

local function close_connection(fd)
	local agent = agents[fd]
	agents[fd] = nil
	local gate = gates[fd]
	gates[fd] = nil
	if gate then
		skynet.send(gate, "lua", "kick", fd)
	end
	if agent then
		skynet.send(agent, "lua", "exit")
	end
end

local socket_event = {}

function socket_event.open(gate, fd, addr)
	skynet.error(string.format("socket accept from %s", addr))
	agents[fd] = false
	gates[fd] = gate
	local agent = skynet.newservice("clusteragent", skynet.self(), gate, fd)
	if closed_early[fd] then
		closed_early[fd] = nil
		agents[fd] = agent
		close_connection(fd)
	else
		agents[fd] = agent
	end
end

local function socket_closed(_, fd)
	if agents[fd] == false then
		closed_early[fd] = true
	elseif agents[fd] then
		close_connection(fd)
	end
end

socket_event.close = socket_closed
socket_event.error = socket_closed

function socket_event.warning(_, fd, size)
	skynet.error(string.format("cluster connection %d: %d K bytes wait to be sent", fd, size))
end

-- gate events: skynet.send(watchdog, "lua", "socket", event, fd, ...)
function command.socket(source, event, fd, ...)
	local f = socket_event[event]
	if f then
		f(source, fd, ...)
	end
end

-- an agent gave up on its connection (the peer sent garbage)
function command.drop(_, fd)
	if agents[fd] then
		close_connection(fd)
	end
end

skynet.start(function()
	apply_config(read_config_file())
	skynet.dispatch("lua", function(_, source, cmd, ...)
		local f = command[cmd]
		if f == nil then
			error("clusterd: unknown command " .. tostring(cmd))
		end
		f(source, ...)
	end)
end)
