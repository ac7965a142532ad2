-- Driver of test/sh/test_socket_handler_error.sh: user handlers that raise
-- while they serve one connection cost that connection only (closed, not
-- left half-read) and the service goes on serving the others.  Over real
-- loopback connections: skynet.socket's accept callback (sockerr_svc), a
-- snax.gateserver handler (gateerr_svc on config gate_port), and
-- http.websocket's handle.message.
local skynet = require "skynet"
local socket = require "skynet.socket"
local websocket = require "http.websocket"
local T = require "testlib"

local function open(port)
	return assert(socket.open("127.0.0.1", port))
end

-- the server closes id within 2 s
local function closed(id, what)
	local ok, data = T.started(socket.read, id)(200, what)
	T.ok(ok, what .. ": read")
	T.eq(data, false, what .. ": the server closed the connection")
	socket.close(id)
end

local function ask(id, line)
	socket.write(id, line .. "\n")
	return socket.readline(id)
end

local function test_socket()
	local svc = skynet.newservice "sockerr_svc"
	local port = skynet.call(svc, "lua", "listen")
	local a, b = open(port), open(port)
	T.eq(ask(a, "hi"), "hi", "a is served")
	T.eq(ask(b, "x"), "x", "b is served")
	socket.write(a, "boom\n")
	closed(a, "the connection whose handler raised while reading")
	T.eq(ask(b, "y"), "y", "the other connection is still served")

	skynet.call(svc, "lua", "raise_next")
	closed(open(port), "a connection whose accept callback raised before starting it")

	skynet.call(svc, "lua", "handover_next")
	local d = open(port)
	T.eq(ask(d, "z"), "agent z", "a connection handed to another service before the raise stays open")
	local e = open(port)
	T.eq(ask(e, "w"), "w", "new connections are still accepted")
	for _, id in ipairs { b, d, e } do
		socket.close(id)
	end
end

local function pack(text)
	return string.pack(">s2", text)
end

local function packet(id)
	local header = socket.read(id, 2)
	return header and socket.read(id, (string.unpack(">I2", header)))
end

local function test_gate()
	local gate = skynet.newservice "gateerr_svc"
	local port = assert(tonumber(skynet.getenv "gate_port"), "gate_port")
	skynet.call(gate, "lua", "open", { address = "127.0.0.1", port = port })
	local a, b = open(port), open(port)
	socket.write(a, pack "one")
	T.eq(packet(a), "one", "a is served")
	socket.write(b, pack "two")
	T.eq(packet(b), "two", "b is served")
	socket.write(a, pack "boom")
	closed(a, "the client whose packet made handler.message raise")
	socket.write(b, pack "three")
	T.eq(packet(b), "three", "the other client is still served")

	-- three packets in one write, the raising one in the middle
	local c = open(port)
	socket.write(c, pack "p1" .. pack "boom" .. pack "p3")
	T.eq(packet(c), "p1", "the packet before the raise is answered")
	closed(c, "the client after a raise amid queued packets")

	skynet.call(gate, "lua", "raise_connect")
	closed(open(port), "a client whose handler.connect raised")

	local disconnects, held = skynet.call(gate, "lua", "stats")
	T.eq(disconnects, 3, "the handler heard each closed client disconnect")
	T.eq(held, 1, "clients the handler still holds")
	socket.close(b)
	local deadline = skynet.now() + 200
	repeat
		skynet.sleep(5)
		disconnects, held = skynet.call(gate, "lua", "stats")
	until held == 0 or skynet.now() > deadline
	T.eq(held, 0, "the last client disconnected")
end

local function test_websocket()
	local svc = skynet.newservice "sockerr_svc"
	local url = "ws://127.0.0.1:" .. skynet.call(svc, "lua", "websocket")
	local a, b = websocket.connect(url), websocket.connect(url)
	websocket.write(a, "hi")
	T.eq(websocket.read(a), "hi", "a is served")
	websocket.write(b, "x")
	T.eq(websocket.read(b), "x", "b is served")
	websocket.write(a, "boom")
	local ok, data = T.started(websocket.read, a)(200, "read after the raise")
	T.ok(ok, "websocket.read after the raise")
	T.eq(data, false, "the server closed the websocket whose handler raised")
	websocket.write(b, "y")
	T.eq(websocket.read(b), "y", "the other websocket is still served")
	local results = skynet.call(svc, "lua", "ws_results")
	T.eq(#results, 1, "one accept returned")
	T.eq(results[1][1], false, "websocket.accept returns false")
	T.ok(tostring(results[1][2]):find("websocket boom", 1, true), "with the handler's error: " .. tostring(results[1][2]))
	websocket.close(b)
end

T.run(function()
	test_socket()
	test_gate()
	test_websocket()
end)
