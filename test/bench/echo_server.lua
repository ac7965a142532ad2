-- The echo benchmark's server: skynet.socket only, one forked reader per
-- connection doing socket.read then socket.write.  Prints ECHO_READY once
-- it listens on $ECHO_PORT.
local skynet = require "skynet"
local socket = require "skynet.socket"

local function echo(id)
	socket.start(id)
	while true do
		local data = socket.read(id)
		if not data then
			break
		end
		socket.write(id, data)
	end
	socket.close(id)
end

skynet.start(function()
	local port = assert(tonumber(skynet.getenv "echo_port"), "set ECHO_PORT")
	local id = socket.listen("127.0.0.1", port)
	socket.start(id, function(fd)
		skynet.fork(echo, fd)
	end)
	skynet.error("ECHO_READY")
end)
