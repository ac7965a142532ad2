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
--   hold fd / release fd stop reading fd until released (an agent whose
--                        own services fall behind)
--   kick fd              close the connection
--
-- Flow control: a forwarded client is not read while its agent has more
-- than QUEUE_HIGH messages waiting, or while its agent holds it; reading
-- resumes once the agent is down to QUEUE_LOW and the hold is released
-- (checked every 10 ms).  TCP then holds the client back, and a client
-- that sends faster than its agent works costs no more memory here.
local skynet = require "skynet"
local c_core = require "skynet.core"
local driver = require "skynet.socketdriver"
local gateserver = require "snax.gateserver"
local netpack = require "skynet.netpack"

local QUEUE_HIGH = 1024
local QUEUE_LOW = 256
local CHECK_EVERY = 16 -- packets forwarded between two looks at the agent's queue

local watchdog
-- fd -> { addr = ip:port, agent = handle?, client = source?, forwarded = n,
-- held = true? }
local clients = {}
local paused = {}    -- fd -> true while it is not read
local watching = false

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

local function behind(c)
	return c.held or c_core.mqlen(c.agent) > QUEUE_LOW
end

-- resumes the paused clients that may be read again
local function watch_paused()
	while next(paused) do
		skynet.sleep(1)
		for fd in pairs(paused) do
			local c = clients[fd]
			if c == nil or not c.agent then
				paused[fd] = nil
			elseif not behind(c) then
				paused[fd] = nil
				gateserver.openclient(fd)
			end
		end
	end
	watching = false
end

local function pause(fd)
	if not paused[fd] then
		paused[fd] = true
		driver.pause(fd)
		if not watching then
			watching = true
			skynet.fork(watch_paused)
		end
	end
end

-- a packet goes to the client's agent as it is (no copy), or as text to
-- the watchdog when nobody forwards it
function handler.message(fd, msg, sz)
	local c = clients[fd]
	local agent = c.agent
	if agent then
		skynet.redirect(agent, c.client, "client", fd, msg, sz)
		local n = c.forwarded + 1
		c.forwarded = n
		if n % CHECK_EVERY == 0 and c_core.mqlen(agent) > QUEUE_HIGH then
			pause(fd)
		end
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
	paused[fd] = nil
	tell("close", fd)
end

function handler.error(fd, msg)
	clients[fd] = nil
	paused[fd] = nil
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
	c.agent, c.client, c.forwarded = address or source, client or 0, 0
	gateserver.openclient(fd)
end

function commands.accept(_, fd)
	local c = known(fd)
	c.agent, c.client, c.held = nil, nil, nil
	paused[fd] = nil
	gateserver.openclient(fd)
end

function commands.hold(_, fd)
	local c = clients[fd]
	if c and c.agent then
		c.held = true
		pause(fd)
	end
end

function commands.release(_, fd)
	local c = clients[fd]
	if c then
		c.held = nil
	end
end

function commands.kick(_, fd)
	clients[fd] = nil
	paused[fd] = nil
	gateserver.closeclient(fd)
end

function handler.command(cmd, source, ...)
	local f = commands[cmd] or error("gate: unknown command " .. tostring(cmd))
	return f(source, ...)
end

gateserver.start(handler)
