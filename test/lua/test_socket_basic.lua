-- skynet.socket over real sockets on 127.0.0.1, client and server in this
-- node: the read calls, write/lwrite, close delivering queued data, peer
-- close, abandon/start handover, netstat, and failing opens.
local skynet = require "skynet"
local socket = require "skynet.socket"
local driver = require "skynet.socketdriver"
local T = require "testlib"

-- a server on a free port whose connections run handler(id) in their own
-- coroutine; returns the listener and its port
local function serve(handler)
	local listen_id, _, port = socket.listen("127.0.0.1", 0)
	socket.start(listen_id, function(id, addr)
		T.ok(addr:find("127.0.0.1", 1, true), "accept address " .. addr)
		skynet.fork(function()
			socket.start(id)
			handler(id)
		end)
	end)
	return listen_id, port
end

local function test_reads()
	local listen_id, port = serve(function(id)
		socket.write(id, "hello\r\nworld\nexact")
		socket.lwrite(id, "-low")
		socket.write(id, { "ta", "ble" })
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	T.eq(socket.readline(id, "\r\n"), "hello", "readline with separator")
	T.eq(socket.readline(id), "world", "readline")
	T.eq(socket.read(id, 5), "exact", "read n")
	T.eq(socket.readall(id), "-lowtable", "readall until close")
	local ok, rest = socket.read(id, 1)
	T.eq(ok, false, "read after close")
	T.eq(rest, "", "nothing left")
	T.ok(socket.disconnected(id), "disconnected")
	socket.close(id)
	T.ok(socket.invalid(id), "invalid after close")
	socket.close(listen_id)
end

-- read(id) returns what is there; read(id, n) waits for exactly n bytes
-- arriving in several pieces
local function test_partial()
	local gate = {}
	local listen_id, port = serve(function(id)
		for i = 1, 5 do
			socket.write(id, string.rep(tostring(i), 3))
			skynet.sleep(1)
		end
		T.eq(socket.readline(id), "done", "server got the line")
		gate.closed = true
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	T.eq(socket.read(id, 15), "111222333444555", "read n across pieces")
	socket.write(id, "done\n")
	local ok, rest = socket.read(id)
	T.eq(ok, false, "read any after peer close")
	T.eq(rest, "", "no leftover")
	T.ok(gate.closed, "server closed")
	socket.close(id)
	socket.close(listen_id)
end

-- a reader parked in read when close() is called still gets what was
-- buffered, and close() returns after it
local function test_close_while_reading()
	local listen_id, port = serve(function(id)
		socket.write(id, "abc")
		socket.readall(id)
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	local got = {}
	skynet.fork(function()
		got[1], got[2] = socket.read(id, 10)
	end)
	skynet.sleep(10)
	socket.close(id)
	T.eq(got[1], false, "parked read ends")
	T.eq(got[2], "abc", "parked read gets the buffered bytes")
	socket.close(listen_id)
end

-- a socket handed over with abandon is started by its new owner
local function test_abandon_and_onclose()
	local closed = {}
	local listen_id, port = serve(function(id)
		socket.abandon(id)
		T.ok(socket.invalid(id), "abandoned")
		skynet.fork(function()
			socket.start(id)
			socket.onclose(id, function(fd) closed[#closed + 1] = fd end)
			socket.write(id, socket.readline(id) .. "!\n")
			T.eq(socket.block(id), false, "block returns false on close")
			socket.close(id)
		end)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	socket.write(id, "ping\n")
	T.eq(socket.readline(id), "ping!", "reply after handover")
	socket.close(id)
	skynet.sleep(10)
	T.eq(#closed, 1, "onclose called once")
	socket.close(listen_id)
end

local function test_netstat_and_header()
	local listen_id, port = serve(function(id)
		socket.readall(id)
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	socket.write(id, "12345")
	skynet.sleep(5)
	local mine
	for _, info in ipairs(socket.netstat()) do
		if info.id == id then
			mine = info
		end
	end
	T.ok(mine, "netstat lists the socket")
	T.eq(mine.type, "TCP", "netstat type")
	T.eq(mine.write, 5, "netstat bytes written")
	T.eq(mine.address, skynet.self(), "netstat owner")
	socket.close(id)
	socket.close(listen_id)
	T.eq(socket.header("\0\5"), 5, "2-byte header")
	T.eq(socket.header("\1\0\0\0"), 16777216, "4-byte header")
end

-- port 0: the system picks a port, listen reports it
local function test_listen_any_port()
	local listen_id, addr, port = socket.listen("127.0.0.1", 0)
	T.eq(addr, "127.0.0.1", "bound address")
	T.ok(math.type(port) == "integer" and port > 0, "bound port")
	socket.start(listen_id, function(id)
		socket.close_fd(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	T.eq(socket.readall(id), "", "the accepted socket is closed at once")
	socket.close(id)
	socket.close(listen_id)
end

-- socket.limit: a socket whose unread data passes the limit is closed
local function test_limit()
	local listen_id, port = serve(function(id)
		socket.write(id, string.rep("x", 256 * 1024))
		socket.readall(id)
		socket.close(id)
	end)
	local id = assert(socket.open("127.0.0.1", port))
	socket.limit(id, 64 * 1024)
	for _ = 1, 100 do
		if socket.disconnected(id) then
			break
		end
		skynet.sleep(1)
	end
	T.ok(socket.disconnected(id), "closed past the limit")
	socket.close(id)
	socket.close(listen_id)
end

-- IPv6 loopback, with the "[host]:port" form of listen
local function test_ipv6()
	local listen_id, addr, port = socket.listen("[::1]:0")
	T.eq(addr, "::1", "bound IPv6 address")
	socket.start(listen_id, function(id, peer)
		skynet.fork(function()
			socket.start(id)
			socket.write(id, peer:match("^%[?(.-)%]?:%d+$") .. "\n")
			socket.close(id)
		end)
	end)
	local id = assert(socket.open("::1", port))
	T.eq(socket.readline(id), "::1", "peer address seen by the server")
	socket.close(id)
	socket.close(listen_id)
end

-- a port in use cannot be listened on again
-- the error names the address and the system's reason
local function test_listen_in_use()
	local listen_id, _, port = socket.listen("127.0.0.1", 0)
	T.ok(port and port > 0, "the kernel picked a port")
	T.raises("Listen error: 127.0.0.1:" .. port .. ": Address already in use",
		socket.listen, "127.0.0.1", port)
	T.raises("Listen error: 127.0.0.1:" .. port .. ": Address already in use",
		socket.listen, "127.0.0.1:" .. port)
	socket.close(listen_id)
	T.raises("Listen error: no-such-host.invalid:" .. port .. ": Cannot assign requested address",
		socket.listen, "no-such-host.invalid", port)
end

local function test_open_failures()
	local t0 = skynet.now()
	local id, err = socket.open("127.0.0.1", T.free_port())
	T.eq(id, nil, "connect to a closed port")
	T.ok(type(err) == "string" and #err > 0, "closed port error message")
	id, err = socket.open("no-such-host.invalid", 80)
	T.eq(id, nil, "connect to an unresolvable host")
	T.ok(type(err) == "string" and #err > 0, "unresolvable host error message")
	T.ok(skynet.now() - t0 < 500, "failures are reported quickly")
end

-- skynet.dispatch("socket", f) after skynet.socket was loaded: f gets the
-- data too, skynet.socket's own handler no longer takes it first
local function test_dispatch_replaced()
	local svc = skynet.newservice("sockdispatch_svc")
	local port = skynet.call(svc, "lua", "listen")
	local id = assert(socket.open("127.0.0.1", port))
	socket.write(id, "through ")
	socket.write(id, "dispatch")
	local got
	for _ = 1, 200 do
		got = skynet.call(svc, "lua", "data")
		if #got >= 16 then
			break
		end
		skynet.sleep(1)
	end
	T.eq(got, "through dispatch", "the replaced socket handler saw every byte")
	socket.close(id)
	skynet.kill(svc)
end

-- a buffer's blocks, in its own node and in its pool's: a buffer that is
-- collected (its __gc) frees them and stays usable if called again; the
-- leak check of the sanitizer build sees any that is lost
local function test_buffer_collected()
	local b, p = driver.buffer(), {}
	driver.push(b, p, driver.str2p("abc"))
	driver.push(b, p, driver.str2p("def"))
	T.eq(driver.readall(b, p), "abcdef", "two blocks read as one")
	driver.push(b, p, driver.str2p("ghi"))
	driver.push(b, p, driver.str2p("jkl"))
	debug.getmetatable(b).__gc(b)
	T.eq(driver.readall(b, p), "", "a collected buffer is empty")
	driver.push(b, p, driver.str2p("mno"))
	T.eq(driver.readall(b, p), "mno", "and still usable")
	for i = 1, 50 do
		local dropped = driver.buffer()
		for _ = 1, i % 4 do
			driver.push(dropped, p, driver.str2p("left behind"))
		end
	end
	b, p = nil, nil
	collectgarbage()
	collectgarbage()
end

T.run(function()
	test_buffer_collected()
	test_reads()
	test_partial()
	test_close_while_reading()
	test_abandon_and_onclose()
	test_netstat_and_header()
	test_listen_any_port()
	test_listen_in_use()
	test_ipv6()
	test_limit()
	test_open_failures()
	test_dispatch_replaced()
end)
