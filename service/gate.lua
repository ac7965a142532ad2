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
local connection = {}   -- fd -> { fd, ip, agent, client }

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
}

local handler = {}

-- "open" answers the address and port it listens on, as skynet's gate does
function handler.open(source, conf)
	watchdog = conf.watchdog or source
	return conf.address, conf.port
end

function handler.message(fd, msg, sz)
	local c = connection[fd]
	if c.agent then
		-- the agent gets the packet itself, no copy
		skynet.redirect(c.agent, c.client, "client", fd, msg, sz)
	else
		skynet.send(watchdog, "lua", "socket", "data", fd, netpack.tostring(msg, sz))
	end
end

function handler.connect(fd, addr)
	connection[fd] = { fd = fd, ip = addr }
	skynet.send(watchdog, "lua", "socket", "open", fd, addr)
end

local function forget(fd)
	connection[fd] = nil
end

function handler.disconnect(fd)
	forget(fd)
	skynet.send(watchdog, "lua", "socket", "close", fd)
end

function handler.error(fd, msg)
	forget(fd)
	skynet.send(watchdog, "lua", "socket", "error", fd, msg)
end

function handler.warning(fd, size)
	skynet.send(watchdog, "lua", "socket", "warning", fd, size)
end

local CMD = {}

function CMD.forward(source, fd, client, address)
	local c = assert(connection[fd], "unknown client fd")
	c.agent = address or source
	c.client = client or 0
	gateserver.openclient(fd)
end

function CMD.accept(_, fd)
	local c = assert(connection[fd], "unknown client fd")
	c.agent = nil
	c.client = nil
	gateserver.openclient(fd)
end

function CMD.kick(_, fd)
	forget(fd)
	gateserver.closeclient(fd)
end

function handler.command(cmd, source, ...)
	local f = CMD[cmd]
	if f == nil then
		error("gate: unknown command " .. tostring(cmd))
	end
	return f(source, ...)
end

gateserver.start(handler)
