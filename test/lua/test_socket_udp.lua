-- UDP through skynet.socket: an echo server bound to a port answers with
-- sendto; a client socket connected with udp_connect sends with write and
-- gets every datagram back, from the server's address.
local skynet = require "skynet"
local socket = require "skynet.socket"
local T = require "testlib"

T.run(function()
	local PORT = T.free_port()
	local server
	server = socket.udp(function(data, from)
		socket.sendto(server, from, "echo:" .. data)
	end, "127.0.0.1", PORT)

	local replies = {}
	local client = socket.udp(function(data, from)
		local host, port = socket.udp_address(from)
		T.eq(host, "127.0.0.1", "reply host")
		T.eq(port, PORT, "reply port")
		replies[#replies + 1] = data
	end)
	socket.udp_connect(client, "127.0.0.1", PORT)
	for i = 1, 100 do
		socket.write(client, "datagram " .. i)
	end
	local big = string.rep("x", 8000)
	socket.write(client, big)
	for _ = 1, 200 do
		if #replies == 101 then
			break
		end
		skynet.sleep(1)
	end
	T.eq(#replies, 101, "every datagram echoed")
	local seen = {}
	for _, r in ipairs(replies) do
		seen[r] = true
	end
	for i = 1, 100 do
		T.ok(seen["echo:datagram " .. i], "datagram " .. i .. " echoed intact")
	end
	T.ok(seen["echo:" .. big], "an 8000-byte datagram echoed intact")
	socket.close(client)
	socket.close(server)
	T.ok(socket.invalid(client) and socket.invalid(server), "udp sockets closed")
end)
