-- Holds sockets for test/sh/test_net_owner_exit.sh: a listener on
-- 127.0.0.1:PORT echoing every client, and an outgoing connection to the
-- same listener; it never closes any of them itself.
local skynet = require "skynet"
local socket = require "skynet.socket"

local port = tonumber((...))

local function echo(id)
	socket.start(id)
	while true do
		local data = socket.read(id)
		if not data then
			return
		end
		socket.write(id, data)
	end
end

skynet.start(function()
	local listener = socket.listen("127.0.0.1", port)
	socket.start(listener, function(id)
		skynet.fork(echo, id)
	end)
	assert(socket.open("127.0.0.1", port))
end)
