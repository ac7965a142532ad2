-- 64 MB through one TCP connection and back (an echo server in this node),
-- compared byte for byte.  The writer keeps a window of chunks in flight.
local skynet = require "skynet"
local socket = require "skynet.socket"
local T = require "testlib"

local CHUNK = 1024 * 1024
local CHUNKS = 64
local WINDOW = 8

-- chunk i: distinct content, cheap to rebuild for the comparison
local function chunk(i)
	return string.rep(string.pack("<I4", i * 2654435761 % 4294967296), CHUNK // 4)
end

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

T.run(function()
	local listen_id, _, port = socket.listen("127.0.0.1", 0)
	socket.start(listen_id, function(id)
		skynet.fork(echo, id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	local received = 0
	local waiting
	skynet.fork(function()
		for i = 1, CHUNKS do
			while i - received > WINDOW do
				waiting = coroutine.running()
				skynet.wait(waiting)
			end
			socket.write(id, chunk(i))
		end
	end)
	for i = 1, CHUNKS do
		local data = socket.read(id, CHUNK)
		T.ok(data, "chunk " .. i .. " arrived")
		if data ~= chunk(i) then
			error("chunk " .. i .. " differs")
		end
		received = i
		if waiting then
			local co = waiting
			waiting = nil
			skynet.wakeup(co)
		end
	end
	T.eq(received * CHUNK, 64 * 1024 * 1024, "bytes echoed")
	socket.close(id)
	socket.close(listen_id)
end)
