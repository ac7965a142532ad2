-- gate: a gate service for the watchdog/agent pattern.
--
-- The watchdog (conf.watchdog, or whoever sends "open") hears about every
-- client: skynet.send(watchdog, "lua", "socket", EVENT, fd, ...) with EVENT
-- one of open (fd, addr), close (fd), error (fd, msg), warning (fd, size),
-- data (fd, packet) for packets of clients that are accepted but not
-- forwarded.  Commands:
--   open conf            listen ({ address, port, maxclient, nodelay, backlog,
--                        watchdog })
--   close                stop listening
--   forward fd [client [address]]
--                        send fd's packets to address (default: the caller)
--                        as PTYPE_CLIENT messages whose session is fd and
--                        whose source is client (default 0)
--   accept fd            read fd's packets and send them to the watchdog
--   kick fd              close the connection
local skynet = require "skynet"
local gateserver = require "snax.gateserver"
local netpack = require "skynet.netpack"

local watchdog
local clients = {}   -- fd -> { addr = ip:port, agent = handle?, client = source? }

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
}

-- the watchdog hears of every client event
local function tell(event, fd, ...)
	skynet.send(watchdog, "lua", "socket", event, fd, ...)
end

local handler = {}

-- "open" answers the address and port it listens on, as skynet's gate does
function handler.open(source, conf)
	watchdog = conf.watchdog or source
	return conf.address, conf.port
end

-- a packet goes to the client's agent as it is (no copy), or as text to
-- the watchdog when nobody forwards it
function handler.message(fd, msg, sz)
	local c = clients[fd]
	local agent = c.agent
	if agent then
		skynet.redirect(agent, c.client, "client", fd, msg, sz)
	else
		tell("data", fd, netpack.tostring(msg, sz))
	end
end

function handler.connect(fd, addr)
	clients[fd] = { addr = addr }
	tell("open", fd, addr)
end

function handler.disconnect(fd)
	clients[fd] = nil
	tell("close", fd)
end

function handler.error(fd, msg)
	clients[fd] = nil
	tell("error", fd, msg)
end

function handler.warning(fd, size)
	tell("warning", fd, size)
end

local commands = {}

local function known(fd)
	return clients[fd] or error("unknown client fd " .. tostring(fd))
end

function commands.forward(source, fd, client, address)
	local c = known(fd)
	c.agent, c.client = address or source, client or 0
	gateserver.openclient(fd)
end

function commands.accept(_, fd)
	local c = known(fd)
	c.agent, c.client = nil, nil
	gateserver.openclient(fd)
end

function commands.kick(_, fd)
	clients[fd] = nil
	gateserver.closeclient(fd)
end

function handler.command(cmd, source, ...)
	local f = commands[cmd] or error("gate: unknown command " .. tostring(cmd))
	return f(source, ...)
end

gateserver.start(handler)
