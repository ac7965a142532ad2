-- A slow reader: the server writes 32 MB to a client that does not read.
-- The writes are queued, the server is warned once more than 1 MB waits,
-- close() is called with most of it still queued, and the client, reading
-- at last, gets every byte before the end of the stream.
local skynet = require "skynet"
local socket = require "skynet.socket"
local T = require "testlib"

local PIECE = 256 * 1024
local PIECES = 128

local function piece(i)
	return string.rep(string.char(i % 251), PIECE)
end

T.run(function()
	local warnings = {}
	local server_closed = false
	local listen_id, _, port = socket.listen("127.0.0.1", 0)
	socket.start(listen_id, function(id)
		skynet.fork(function()
			socket.start(id)
			socket.warning(id, function(_, size)
				warnings[#warnings + 1] = size
			end)
			for i = 1, PIECES do
				T.ok(socket.write(id, piece(i)), "write queued")
			end
			socket.close(id)
			server_closed = true
		end)
	end)

	local id = assert(socket.open("127.0.0.1", port))
	socket.pause(id)
	-- the writer queues 32 MB: it is warned within seconds even on a loaded machine
	for _ = 1, 1000 do
		if #warnings > 0 then
			break
		end
		skynet.sleep(1)
	end
	T.ok(#warnings > 0, "the writer was warned")
	T.ok(warnings[1] >= 1024, "first warning past 1 MB (got " .. tostring(warnings[1]) .. " KB)")

	for i = 1, PIECES do
		local data = socket.read(id, PIECE)
		T.ok(data, "piece " .. i .. " arrived")
		if data ~= piece(i) then
			error("piece " .. i .. " differs")
		end
	end
	local ok, rest = socket.read(id)
	T.eq(ok, false, "stream ends after the last piece")
	T.eq(rest, "", "nothing after the last piece")
	skynet.sleep(10)
	T.ok(server_closed, "the server's close returned")
	socket.close(id)
	socket.close(listen_id)
end)
