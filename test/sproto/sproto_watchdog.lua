-- Opens a gate and gives every client an agent; closes the agent with the client.
local skynet = require "skynet"

local gate
local agents = {} -- fd -> agent

local function close_client(fd)
	local agent = agents[fd]
	agents[fd] = nil
	if agent then
		skynet.call(gate, "lua", "kick", fd)
		skynet.send(agent, "lua", "disconnect")
	end
end

local socket_event = {}

function socket_event.open(fd, addr)
	skynet.error("sproto example: client " .. addr)
	agents[fd] = skynet.newservice("sproto_agent")
	skynet.call(agents[fd], "lua", "start", { gate = gate, client = fd, watchdog = skynet.self() })
end

socket_event.close = close_client

function socket_event.error(fd, msg)
	skynet.error("sproto example: client error " .. tostring(msg))
	close_client(fd)
end

function socket_event.warning() end
function socket_event.data() end

local command = {}

function command.start(conf)
	return skynet.call(gate, "lua", "open", conf)
end

command.close = close_client

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, sub, ...)
		if cmd == "socket" then
			socket_event[sub](...)
		else
			skynet.ret(skynet.pack(assert(command[cmd])(sub, ...)))
		end
	end)
	gate = skynet.newservice("gate")
end)
