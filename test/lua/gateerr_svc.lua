-- A snax.gateserver service whose handler raises, for
-- test_socket_handler_error: packets come back as they are, except "boom",
-- on which handler.message raises, and "connect-boom", a client address
-- nobody has: handler.connect raises for the client after "raise_connect".
-- "stats" answers the disconnects the handler saw and the clients it holds.
local skynet = require "skynet"
local gateserver = require "snax.gateserver"
local netpack = require "skynet.netpack"
local driver = require "skynet.socketdriver"

local clients = {}
local disconnects = 0
local raise_connect = false

local handler = {}

function handler.connect(fd)
	clients[fd] = true
	if raise_connect then
		raise_connect = false
		error("connect boom")
	end
	gateserver.openclient(fd)
end

function handler.message(fd, msg, sz)
	local text = netpack.tostring(msg, sz)
	if text == "boom" then
		error("packet boom on " .. fd)
	end
	driver.send(fd, string.pack(">s2", text))
end

function handler.disconnect(fd)
	clients[fd] = nil
	disconnects = disconnects + 1
end

function handler.command(cmd)
	if cmd == "raise_connect" then
		raise_connect = true
	elseif cmd == "stats" then
		local n = 0
		for _ in pairs(clients) do
			n = n + 1
		end
		return disconnects, n
	end
end

gateserver.start(handler)
