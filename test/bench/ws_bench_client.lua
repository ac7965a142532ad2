-- The WebSocket figure's client node: ws_connections connections to the
-- echo on $WS_PORT, each sending a 64-byte text message and waiting
-- for its echo, for ws_seconds; prints "BENCH ws_echo_per_s <n>".
local skynet = require "skynet"
local websocket = require "http.websocket"

skynet.start(function()
	local url = "ws://127.0.0.1:" .. skynet.getenv "ws_port" .. "/"
	local conns = tonumber(skynet.getenv "ws_connections")
	local stop = skynet.now() + tonumber(skynet.getenv "ws_seconds") * 100
	local msg = string.rep("m", 64)
	local total, running = 0, conns
	local t0 = skynet.now()
	for _ = 1, conns do
		skynet.fork(function()
			local ok, err = pcall(function()
				local id = websocket.connect(url)
				while skynet.now() < stop do
					websocket.write(id, msg)
					assert(websocket.read(id) == msg)
					total = total + 1
				end
				websocket.close(id)
			end)
			if not ok then
				skynet.error("BENCH_ERROR " .. tostring(err))
			end
			running = running - 1
		end)
	end
	while running > 0 do
		skynet.sleep(10)
	end
	print(string.format("BENCH ws_echo_per_s %.0f", total / ((skynet.now() - t0) / 100)))
	require("skynet.manager").abort()
end)
