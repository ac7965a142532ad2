-- One client's agent: decodes its sproto requests (from the gate, as
-- PTYPE_CLIENT messages), answers them, and pushes a heartbeat request.
local skynet = require "skynet"
local socket = require "skynet.socket"
local sprotoloader = require "sprotoloader"

local host, push, client_fd, watchdog

local function send_package(pack)
	socket.write(client_fd, string.pack(">s2", pack))
end

local request = {}

function request.handshake()
	return { msg = "welcome" }
end

function request.get(args)
	return { result = skynet.call(".simpledb", "lua", "get", args.what) }
end

function request.set(args)
	skynet.call(".simpledb", "lua", "set", args.what, args.value)
end

function request.quit()
	skynet.call(watchdog, "lua", "close", client_fd)
end

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = function(msg, sz)
		return host:dispatch(msg, sz)
	end,
	dispatch = function(fd, _, kind, name, args, respond)
		assert(fd == client_fd)
		skynet.ignoreret()
		assert(kind == "REQUEST", "clients only send requests")
		local result = assert(request[name], name)(args)
		if respond then
			send_package(respond(result))
		end
	end,
}

local command = {}

function command.start(conf)
	client_fd, watchdog = conf.client, conf.watchdog
	host = sprotoloader.load(1):host "package"
	push = host:attach(sprotoloader.load(2))
	skynet.fork(function()
		while true do
			send_package(push "heartbeat")
			skynet.sleep(20)
		end
	end)
	skynet.call(conf.gate, "lua", "forward", client_fd)
end

function command.disconnect()
	skynet.exit()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.ret(skynet.pack(command[cmd](...)))
	end)
end)
