-- The HTTP benchmark's server: a listener handing connections round-robin
-- to http_agents agents, each serving keep-alive requests with http.httpd
-- and answering "hello world".  Also a WebSocket echo on $WS_PORT for
-- the WebSocket figure.  Prints HTTP_READY once it listens.
local skynet = require "skynet"
local socket = require "skynet.socket"

local mode = ...

if mode == "agent" then
	local httpd = require "http.httpd"
	local sockethelper = require "http.sockethelper"
	local websocket = require "http.websocket"

	local function serve(id)
		socket.start(id)
		local read, write = sockethelper.readfunc(id), sockethelper.writefunc(id)
		local header = { ["content-type"] = "text/plain" }
		while true do
			local code, _, _, request = httpd.read_request(read, 8192)
			if code ~= 200 then
				if code then
					httpd.write_response(write, code)
				end
				break
			end
			if not httpd.write_response(write, 200, "hello world\n", header) or request.connection == "close" then
				break
			end
		end
		socket.close(id)
	end

	local echo = {
		message = function(id, msg, kind)
			websocket.write(id, msg, kind)
		end,
	}

	skynet.start(function()
		skynet.dispatch("lua", function(_, _, kind, id)
			if kind == "http" then
				serve(id)
			else
				websocket.accept(id, echo)
			end
		end)
	end)
else
	skynet.start(function()
		local port = assert(tonumber(skynet.getenv "http_port"), "set HTTP_PORT")
		local agents = {}
		for i = 1, tonumber(skynet.getenv "http_agents") do
			agents[i] = skynet.newservice(SERVICE_NAME, "agent")
		end
		local next_agent = 0
		local function handoff(kind)
			return function(id)
				next_agent = next_agent % #agents + 1
				skynet.send(agents[next_agent], "lua", kind, id)
			end
		end
		socket.start(socket.listen("127.0.0.1", port), handoff("http"))
		socket.start(socket.listen("127.0.0.1", tonumber(skynet.getenv "ws_port")), handoff("ws"))
		skynet.error("HTTP_READY")
	end)
end
