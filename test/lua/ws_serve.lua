-- The WebSocket echo server the websocket tests drive with Python clients:
-- ws on config ws_port, wss on wss_port (certfile/keyfile), and on
-- upgrade_port a plain httpd that hands /ws requests to websocket.accept
-- with options.upgrade.  Messages come back with their type; "close-me"
-- makes the server close with 4000 "bye", "ping-me" makes it ping.  Each
-- event is logged as "ws <event> ..." for the test to check.
local skynet = require "skynet"
local socket = require "skynet.socket"
local websocket = require "http.websocket"
local httpd = require "http.httpd"
local sockethelper = require "http.sockethelper"

local handle = {}

function handle.handshake(id, header, url)
	skynet.error(string.format("ws handshake %s from %s", url, websocket.addrinfo(id)))
end

function handle.message(id, msg, kind)
	if msg == "close-me" then
		websocket.close(id, 4000, "bye")
	elseif msg == "ping-me" then
		websocket.ping(id)
	else
		websocket.write(id, msg, kind)
	end
end

function handle.ping()
	skynet.error("ws ping")
end

function handle.pong()
	skynet.error("ws pong")
end

function handle.close(_, code, reason)
	skynet.error(string.format("ws close %s %s", tostring(code), tostring(reason)))
end

function handle.error(_, err)
	skynet.error("ws error " .. tostring(err))
end

local function serve_ws(protocol)
	return function(id, addr)
		local ok, err = websocket.accept(id, handle, protocol, addr)
		if not ok then
			skynet.error("ws accept failed: " .. tostring(err))
		end
	end
end

local function serve_upgrade(id, addr)
	socket.start(id)
	local code, url, method, header = httpd.read_request(sockethelper.readfunc(id), 8192)
	if code == 200 and url == "/ws" then
		local ok, err = websocket.accept(id, handle, "ws", addr,
			{ upgrade = { header = header, method = method, url = url } })
		if not ok then
			skynet.error("ws accept failed: " .. tostring(err))
		end
		return
	end
	if code then
		httpd.write_response(sockethelper.writefunc(id), code == 200 and 404 or code)
	end
	socket.close(id)
end

skynet.start(function()
	local ws_port = tonumber(skynet.getenv "ws_port")
	socket.start(socket.listen("127.0.0.1", ws_port), serve_ws("ws"))
	local wss_port = tonumber(skynet.getenv "wss_port")
	socket.start(socket.listen("127.0.0.1", wss_port), serve_ws("wss"))
	local upgrade_port = tonumber(skynet.getenv "upgrade_port")
	socket.start(socket.listen("127.0.0.1", upgrade_port), serve_upgrade)
	skynet.error("ws_serve: ready")
end)
