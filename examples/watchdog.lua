-- watchdog: owns a gate and starts one agent per client.
-- "lua" commands: start conf (opens the gate, see service/gate.lua) and
-- close fd; the gate reports client events as "socket" commands.
local skynet = require "skynet"

local CMD = {}
local SOCKET = {}
local gate
local agents = {}   -- fd -> agent

function SOCKET.open(fd, addr)
	skynet.error("watchdog: new client from " .. addr)
	local agent = skynet.newservice("agent")
	agents[fd] = agent
	skynet.call(agent, "lua", "start", { gate = gate, client = fd, watchdog = skynet.self() })
end

local function close_agent(fd)
	local agent = agents[fd]
	agents[fd] = nil
	if agent then
		skynet.call(gate, "lua", "kick", fd)
		-- the agent exits on its own
		skynet.send(agent, "lua", "disconnect")
	end
end

function SOCKET.close(fd)
	skynet.error("watchdog: client closed", fd)
	close_agent(fd)
end

function SOCKET.error(fd, msg)
	skynet.error("watchdog: client error", fd, msg)
	close_agent(fd)
end

function SOCKET.warning(fd, size)
	skynet.error(string.format("watchdog: %d KB unsent to client %d", size, fd))
end

function SOCKET.data(fd, msg)
	skynet.error("watchdog: unexpected packet from", fd, #msg)
end

function CMD.start(conf)
	return skynet.call(gate, "lua", "open", conf)
end

function CMD.close(fd)
	close_agent(fd)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, subcmd, ...)
		if cmd == "socket" then
			-- events from the gate are sends: no reply
			SOCKET[subcmd](...)
		else
			local f = assert(CMD[cmd], "watchdog: unknown command")
			skynet.ret(skynet.pack(f(subcmd, ...)))
		end
	end)
	gate = skynet.newservice("gate")
end)
