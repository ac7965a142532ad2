-- http.httpc and the websocket client against Python peers
-- (test/http/py_peers.py; ports in the config): plain and chunked
-- responses, trailers, bodies read to the close, POST forms and chunked
-- uploads, custom headers, 1 MB bodies, HTTPS, timeouts, request_stream,
-- refused connections; ws:// and wss:// echo, fragments, pings, close codes.
local skynet = require "skynet"
local httpc = require "http.httpc"
local websocket = require "http.websocket"
local T = require "testlib"

local HTTP = "127.0.0.1:" .. skynet.getenv "py_http"
local HTTPS = "https://localhost:" .. skynet.getenv "py_https"

local function http_client()
	local header = {}
	local code, body = httpc.get(HTTP, "/hello", header)
	T.eq(code, 200, "GET status")
	T.eq(body, "hello from python", "GET body")
	T.eq(header["content-length"], "17", "response header in recvheader")
	header = {}
	code, body = httpc.get("http://" .. HTTP, "/chunked", header)
	T.eq(body, "one,two,three", "chunked response with extensions")
	T.eq(header["x-trailer"], "yes", "trailer field")
	code, body = httpc.get(HTTP, "/close")
	T.eq(body, "until the end", "body read until the server closes")
	code, body = httpc.request("POST", HTTP, "/echo", nil, nil, "posted body")
	T.eq(body, "posted body", "POST echo")
	code, body = httpc.post(HTTP, "/echo", { name = "a b&c" })
	T.eq(body, "name=a%20b%26c", "form encoding")
	local parts = { "first,", "", "second,", "third" }
	local i = 0
	local recv = {}
	code, body = httpc.request("POST", HTTP, "/echo", recv, nil, function()
		i = i + 1
		return parts[i]
	end)
	T.eq(body, "first,second,third", "chunked upload")
	T.eq(recv["x-transfer-encoding"], "chunked", "upload went chunked")
	code, body = httpc.get(HTTP, "/headers", nil, { ["X-Custom"] = "value 1" })
	T.ok(body:find("x-custom=value 1", 1, true), "custom header sent: " .. body)
	T.ok(body:find("host=" .. HTTP, 1, true), "host header sent: " .. body)
	code, body = httpc.get(HTTP, "/big")
	T.eq(#body, 1024 * 1024, "1 MB body")
	T.eq(body:sub(1, 4), "\0\1\2\3", "1 MB body content")
	T.eq(httpc.head(HTTP, "/hello"), 200, "HEAD")
	code = httpc.get(HTTP, "/nothing")
	T.eq(code, 404, "404")

	code, body = httpc.get(HTTPS, "/hello")
	T.eq(body, "hello from python", "HTTPS GET")
	code, body = httpc.request("POST", HTTPS, "/echo", nil, nil, string.rep("s", 100000))
	T.eq(#body, 100000, "HTTPS POST 100 KB")
	code, body = httpc.get(HTTPS, "/chunked")
	T.eq(body, "one,two,three", "HTTPS chunked")

	local stream = httpc.request_stream("GET", HTTP, "/stream")
	T.eq(stream.status, 200, "stream status")
	local got = {}
	for piece in stream do
		if piece == "" then
			break
		end
		got[#got + 1] = piece
	end
	stream:close()
	T.eq(table.concat(got), "piece0;piece1;piece2;piece3;piece4;piece5;piece6;piece7;piece8;piece9;", "chunked stream")
	do
		local s <close> = httpc.request_stream("GET", HTTP, "/big")
		local n = 0
		while true do
			local piece = s()
			if not piece or piece == "" then
				break
			end
			n = n + #piece
		end
		T.eq(n, 1024 * 1024, "content-length stream")
	end

	httpc.timeout = 100
	local t0 = skynet.now()
	T.raises(nil, httpc.get, HTTP, "/slow")
	T.ok(skynet.now() - t0 < 300, "timeout after 1 s, not the 5 s answer")
	httpc.timeout = nil
	local closed = skynet.getenv "closed_port"
	T.raises(nil, httpc.get, "127.0.0.1:" .. closed, "/")
	T.raises("Invalid protocol", httpc.get, "ftp://127.0.0.1:1", "/")
	T.raises("bare IPv6", httpc.get, "::1", "/")
end

local function websocket_client(url)
	local id = websocket.connect(url .. "/path?q=1")
	websocket.write(id, "path")
	T.eq(websocket.read(id), "/path?q=1", url .. " request target")
	websocket.write(id, "hello")
	T.eq(websocket.read(id), "hello", url .. " text echo")
	websocket.write(id, "\0\1\2", "binary", 0x12345678)
	T.eq(websocket.read(id), "\0\1\2", url .. " binary echo with a given masking key")
	local big = string.rep("0123456789", 20000)
	websocket.write(id, big, "binary")
	T.eq(websocket.read(id), big, url .. " 200 KB echo")
	websocket.write(id, "fragment")
	T.eq(websocket.read(id), "abcdef", url .. " fragmented message from the server")
	websocket.write(id, "ping")
	T.eq(websocket.read(id), "pinged", url .. " server ping answered with a pong")
	websocket.ping(id)
	websocket.write(id, "after my ping")
	T.eq(websocket.read(id), "after my ping", url .. " pong skipped")
	websocket.write(id, "close")
	local msg, reason, code = websocket.read(id)
	T.eq(msg, false, url .. " read after the server's close")
	T.eq(reason, "py bye", url .. " close reason")
	T.eq(code, 4001, url .. " close code")
	T.ok(websocket.is_close(id), url .. " closed")
	T.raises("closed", websocket.write, id, "x")

	id = websocket.connect(url .. "/")
	websocket.write(id, "bye")
	T.eq(websocket.read(id), "bye", url .. " second connection")
	websocket.close(id, 1000, "done")
	T.ok(websocket.is_close(id), url .. " closed by us")
end

T.run(function()
	http_client()
	websocket_client("ws://127.0.0.1:" .. skynet.getenv "py_ws")
	websocket_client("wss://localhost:" .. skynet.getenv "py_wss")
	T.raises("invalid websocket url", websocket.connect, "http://127.0.0.1:1/")
end)
