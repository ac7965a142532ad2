-- agent: serves one client of the gate.  Each packet is a text command:
--   get KEY | set KEY VALUE | ping | quit
-- and gets one packet back (the value, the old value, "pong", "bye", or
-- "error: ...").  Values live in .simpledb, shared by every client.
local skynet = require "skynet"
local socket = require "skynet.socket"
local queue = require "skynet.queue"

local WATCHDOG
local client_fd
-- requests run one at a time, so replies go out in request order even when
-- one of them waits for simpledb
local serialize = queue()

local function send_packet(text)
	socket.write(client_fd, string.pack(">s2", text))
end

local REQUEST = {}

function REQUEST.get(key)
	return skynet.call(".simpledb", "lua", "get", key) or ""
end

function REQUEST.set(key, value)
	return skynet.call(".simpledb", "lua", "set", key, value) or ""
end

function REQUEST.ping()
	return "pong"
end

function REQUEST.quit()
	skynet.fork(function()
		skynet.call(WATCHDOG, "lua", "close", client_fd)
	end)
	return "bye"
end

local function handle(text)
	local cmd, arg1, rest = text:match("^(%S+)%s*(%S*)%s*(.*)$")
	local f = cmd and REQUEST[cmd:lower()]
	if not f then
		return "error: unknown command"
	end
	return f(arg1, rest)
end

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = skynet.tostring,
	dispatch = function(fd, _, text)
		assert(fd == client_fd)
		skynet.ignoreret()  -- clients get replies over the socket, not as messages
		serialize(function()
			send_packet(handle(text))
		end)
	end,
}

local CMD = {}

function CMD.start(conf)
	WATCHDOG = conf.watchdog
	client_fd = conf.client
	skynet.call(conf.gate, "lua", "forward", client_fd)
end

function CMD.disconnect()
	skynet.exit()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = CMD[cmd]
		skynet.ret(skynet.pack(f(...)))
	end)
end)
