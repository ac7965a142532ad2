-- echo_server: a TCP echo service written with skynet.socket.
-- Usage: skynet.newservice("echo_server", port [, address])
local skynet = require "skynet"
local socket = require "skynet.socket"

local port, address = ...

-- each connection gets its own coroutine that reads and writes back
local function echo(id, addr)
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
	port = assert(tonumber(port), "echo_server needs a port")
	-- the backlog defaults to the system's maximum: bursts of new
	-- connections are not dropped
	local id = socket.listen(address or "0.0.0.0", port)
	skynet.error("echo_server: listening on port " .. port)
	socket.start(id, function(fd, addr)
		skynet.fork(echo, fd, addr)
	end)
end)
