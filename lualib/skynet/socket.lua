-- skynet.socket: blocking-style TCP and UDP calls on top of the asynchronous
-- socket thread.  A read that cannot be satisfied parks the calling coroutine
-- (skynet.wait) until a PTYPE_SOCKET message brings enough bytes; the worker
-- thread goes on running other messages meanwhile.
local driver = require "skynet.socketdriver"
local skynet = require "skynet"

local assert = assert
local coroutine_running = coroutine.running
local driver_push = driver.push
local driver_readall = driver.readall
local driver_pop = driver.pop
local skynet_wait = skynet.wait
local skynet_wakeup = skynet.wakeup

-- Past this many buffered bytes that nobody is waiting for, the socket
-- thread stops reading the socket until a reader asks for more.
local PAUSE_THRESHOLD = 128 * 1024
-- A socket that streams in large chunks is not read at all while its service
-- has more messages than this waiting (socketdriver.holdreads): a client
-- that sends faster than the service works, and reads nothing back, is held
-- back by TCP instead of queueing its data in the node.
local READ_HOLD_QUEUE = 64

local socket = {}
local sockets = {}          -- id -> socket object
local close_callbacks = {}  -- id -> function(id), see socket.onclose
local unclaimed = {}        -- id -> true: accepted, its accept callback running,
                            -- not yet started, closed or handed over here
local handlers = {}         -- SKYNET_SOCKET_TYPE_* -> event handler

-- A socket object:
--   id, protocol ("TCP"/"UDP"), connected, connecting (true, or the error)
--   buffer, pool        received bytes (driver buffer), nil for listeners
--   callback            accept callback (listener) or udp callback
--   what the parked reader waits for (at most one is set):
--     read_size         a byte count (0: anything)
--     read_line         a line separator
--     read_all          true: everything, until the peer closes
--   co                  the parked reader, closing: the coroutine in close()
--   paused, buffer_limit, on_warning, listen, addr, port
-- The fields a reader sets and clears for every message (co, read_size,
-- read_line, read_all, paused) hold false, not nil, when unset: the key
-- stays in the table, and setting it again is no insertion.

local function wakeup(s)
	local co = s.co
	if co then
		s.co = false
		skynet_wakeup(co)
	end
end

local function pause(s)
	if not s.paused then
		s.paused = true
		driver.pause(s.id)
	end
end

-- Parks the running coroutine until an event for s wakes it; a reader
-- says what it waits for in s[want] (read_size, read_line or read_all).
local function suspend(s, want, value)
	if s.co then
		error("socket is already being read by another coroutine", 3)
	end
	if want then
		s[want] = value
	end
	local co = coroutine_running()
	s.co = co
	if s.paused then
		s.paused = false
		driver.start(s.id)
	end
	skynet_wait(co)
	if want then
		s[want] = false -- a close or an error woke the reader early
	end
	-- close() waits for the reader to take what was buffered before it
	if s.closing then
		skynet.wakeup(s.closing)
	end
end

-- Forgets a socket that is closed (or never connected).  Its close event,
-- if any, has been handled by now, so a leftover onclose callback is stale.
local function release(s)
	if s.buffer then
		driver.clear(s.buffer, s.pool)
	end
	sockets[s.id] = nil
	close_callbacks[s.id] = nil
end

-- SKYNET_SOCKET_TYPE_DATA
handlers[1] = function(id, size, data)
	local s = sockets[id]
	if s == nil then
		skynet.error("socket: drop data from unknown socket " .. id)
		driver.drop(data, size)
		return
	end
	local buffered = driver_push(s.buffer, s.pool, data, size)
	local want = s.read_size
	if want then
		if buffered >= want then
			s.read_size = false
			local co = s.co -- wakeup(s), inline: this runs for every message
			if co then
				s.co = false
				skynet_wakeup(co)
			end
		end
		return
	end
	local limit = s.buffer_limit
	if limit and buffered > limit then
		skynet.error(string.format("socket: buffer overflow, close socket %d (%d bytes)", id, buffered))
		driver.close(id)
		return
	end
	local sep = s.read_line
	if sep then
		if driver.readline(s.buffer, nil, sep) then
			s.read_line = false
			wakeup(s)
		end
	elseif not s.read_all and buffered > PAUSE_THRESHOLD then
		pause(s)
	end
end

-- SKYNET_SOCKET_TYPE_CONNECT: a connect finished, a listener is bound, or
-- start() took effect
handlers[2] = function(id, port, addr)
	local s = sockets[id]
	if s == nil or s.connected then
		return -- resuming a paused socket reports again
	end
	if s.listen and port ~= 0 then
		-- the listener's own open event carries the bound address
		s.addr = addr
		s.port = port
	end
	s.connected = true
	wakeup(s)
end

-- SKYNET_SOCKET_TYPE_CLOSE: the peer closed, or our close() completed
handlers[3] = function(id)
	local s = sockets[id]
	if s then
		s.connected = false
		wakeup(s)
	else
		driver.close(id) -- free the slot of a socket nobody owns here
	end
	local cb = close_callbacks[id]
	if cb then
		close_callbacks[id] = nil
		cb(id)
	end
end

-- A connection whose accept callback raised is closed, not left open and
-- half-read, unless the callback handed it to another service (or closed
-- it) first.  Logs the error and what became of the connection.
local function close_after_error(listen_id, id, addr, err)
	local ours = unclaimed[id] or sockets[id] ~= nil
	skynet.error(string.format("socket: accept callback of %d raised on %d (%s), %s: %s", listen_id, id, addr,
		ours and "closing it" or "no longer ours", tostring(err)))
	if unclaimed[id] then
		driver.close(id)
	elseif sockets[id] then
		socket.close(id)
	end
end

-- SKYNET_SOCKET_TYPE_ACCEPT
handlers[4] = function(id, newid, addr)
	local s = sockets[id]
	if s == nil or s.callback == nil then
		driver.close(newid)
		return
	end
	unclaimed[newid] = true
	local ok, err = xpcall(s.callback, debug.traceback, newid, addr)
	if not ok then
		close_after_error(id, newid, addr, err)
	end
	unclaimed[newid] = nil
end

-- SKYNET_SOCKET_TYPE_ERROR
handlers[5] = function(id, _, err)
	local s = sockets[id]
	if s == nil then
		skynet.error("socket: error on unknown socket", id, err)
		driver.close(id)
		return
	end
	if s.listen and s.connected then
		-- accept failed (e.g. out of file descriptors); the listener goes on
		skynet.error("socket: accept error on", id, err)
		return
	end
	if s.connected then
		skynet.error("socket: error on", id, err)
	elseif s.connecting then
		s.connecting = err
	end
	s.connected = false
	driver.close(id)
	wakeup(s)
end

-- SKYNET_SOCKET_TYPE_UDP
handlers[6] = function(id, size, data, address)
	local s = sockets[id]
	if s == nil or s.callback == nil then
		skynet.error("socket: drop udp packet from " .. id)
		driver.drop(data, size)
		return
	end
	local str = skynet.tostring(data, size)
	driver.drop(data, size)
	s.callback(str, address)
end

local function default_warning(id, size)
	if size > 0 then
		skynet.error(string.format("WARNING: %d K bytes need to send out (fd = %d)", size, id))
	end
end

-- SKYNET_SOCKET_TYPE_WARNING: size is the unsent amount in KB (0: drained)
handlers[7] = function(id, size)
	local s = sockets[id]
	if s then
		local warn = s.on_warning or default_warning
		warn(id, size)
	end
end

skynet.register_protocol {
	name = "socket",
	id = skynet.PTYPE_SOCKET,
	unpack = driver.unpack,
	dispatch = function(_, _, event, ...)
		handlers[event](...)
	end,
	-- data never yields: it is buffered on the callback's thread,
	-- without a coroutine per message (the reader is woken after)
	direct = function(msg, sz)
		local event, id, size, data = driver.unpack(msg, sz)
		if event == 1 then
			handlers[1](id, size, data)
			return true
		end
		return false
	end,
}

-- Registers id and waits until it is connected (or fails).  func is the
-- accept callback of a listener; other sockets get a receive buffer.  A
-- connect still pending after timeout centiseconds is abandoned.
local function connect(id, func, timeout)
	local buffer
	if func == nil then
		buffer = driver.buffer()
		driver.holdreads(id, READ_HOLD_QUEUE)
	end
	local old = sockets[id]
	if old and not old.listen then
		error("socket " .. id .. " is not closed")
	end
	unclaimed[id] = nil
	assert(not close_callbacks[id], "socket has an onclose callback")
	local s = {
		id = id,
		protocol = "TCP",
		buffer = buffer,
		pool = buffer and {},
		connected = false,
		connecting = true,
		callback = func,
		listen = old and old.listen,
		co = false,
		read_size = false,
		read_line = false,
		read_all = false,
		paused = false,
	}
	sockets[id] = s
	if timeout then
		skynet.timeout(timeout, function()
			if s.connecting == true and not s.connected then
				s.connecting = "connect timeout"
				driver.close(id) -- its close event wakes the connect
			end
		end)
	end
	suspend(s)
	local err = s.connecting
	s.connecting = nil
	if s.connected then
		return id
	end
	release(s)
	return nil, err == true and "connection closed" or err
end

-- open(addr, port [, timeout]): a TCP connection; with timeout
-- (centiseconds) a connect that takes longer fails with "connect timeout".
function socket.open(addr, port, timeout)
	local id = driver.connect(addr, port)
	if id < 0 then
		return nil, "no free socket slot"
	end
	return connect(id, nil, timeout)
end

function socket.bind(os_fd)
	return connect(driver.bind(os_fd))
end

function socket.stdin()
	return socket.bind(0)
end

function socket.start(id, func)
	driver.start(id)
	return connect(id, func)
end

function socket.pause(id)
	local s = sockets[id]
	if s then
		pause(s)
	end
end

-- Closes the socket at once, dropping unsent data (close() flushes first).
-- A reader sees the end of the stream; call close(id) to forget the socket.
function socket.shutdown(id)
	if sockets[id] then
		driver.shutdown(id)
	end
end

function socket.close_fd(id)
	assert(sockets[id] == nil, "use socket.close instead")
	unclaimed[id] = nil
	driver.close(id)
end

-- Closes after the queued writes are sent; returns once the socket thread
-- has let go of it.  A coroutine parked in a read gets the data buffered
-- before the close.
function socket.close(id)
	local s = sockets[id]
	if s == nil then
		return
	end
	driver.close(id)
	if s.connected then
		s.paused = false -- do not restart reading a socket that is going away
		if s.co then
			assert(not s.closing)
			s.closing = coroutine.running()
			skynet.wait(s.closing)
		else
			suspend(s)
		end
		s.connected = false
	end
	release(s)
end

-- read(id): whatever is there (waiting for at least one byte);
-- read(id, sz): exactly sz bytes.  On a closed socket returns false and
-- the bytes left over.
function socket.read(id, sz)
	local s = sockets[id]
	if s == nil then
		error("invalid socket", 2)
	end
	if sz == nil then
		local data = driver_readall(s.buffer, s.pool)
		if data ~= "" then
			return data
		end
		if not s.connected then
			return false, data
		end
		suspend(s, "read_size", 0)
		data = driver_readall(s.buffer, s.pool)
		if data ~= "" then
			return data
		end
		return false, data
	end
	local data = driver_pop(s.buffer, s.pool, sz)
	if data then
		return data
	end
	if not s.connected then
		return false, driver_readall(s.buffer, s.pool)
	end
	suspend(s, "read_size", sz)
	data = driver_pop(s.buffer, s.pool, sz)
	if data then
		return data
	end
	return false, driver_readall(s.buffer, s.pool)
end

-- Reads until the peer closes; returns everything received.
function socket.readall(id)
	local s = sockets[id]
	assert(s, "invalid socket")
	if s.connected then
		suspend(s, "read_all", true)
	end
	return driver.readall(s.buffer, s.pool)
end

-- Reads one line without its separator (default "\n").
function socket.readline(id, sep)
	sep = sep or "\n"
	local s = sockets[id]
	assert(s, "invalid socket")
	local line = driver.readline(s.buffer, s.pool, sep)
	if line then
		return line
	end
	if not s.connected then
		return false, driver.readall(s.buffer, s.pool)
	end
	suspend(s, "read_line", sep)
	if s.connected then
		return driver.readline(s.buffer, s.pool, sep)
	end
	return false, driver.readall(s.buffer, s.pool)
end

-- Waits until more data arrives or the socket closes; true if still open.
function socket.block(id)
	local s = sockets[id]
	if not s or not s.connected then
		return false
	end
	suspend(s, "read_size", 0)
	return s.connected
end

socket.write = assert(driver.send)
socket.lwrite = assert(driver.lsend)
socket.header = assert(driver.header)

function socket.invalid(id)
	return sockets[id] == nil
end

function socket.disconnected(id)
	local s = sockets[id]
	if s then
		return not (s.connected or s.connecting)
	end
end

-- listen(host, port [, backlog]) or listen("host:port" [, backlog]).
-- Returns the listener id and the address and port it is bound to (port 0
-- picks a free one); call socket.start(id, accept) to get connections.
function socket.listen(host, port, backlog)
	if port == nil then
		local h, p = string.match(host, "^(.+):(%d+)$")
		assert(h, "listen address must be host:port")
		host, port = h:match("^%[(.*)%]$") or h, tonumber(p)
	end
	local id = driver.listen(host, port, backlog)
	assert(sockets[id] == nil)
	local s = { id = id, protocol = "TCP", connected = false, connecting = true, listen = true }
	sockets[id] = s
	suspend(s)
	if not s.connected then
		release(s)
		error(string.format("listen on %s:%s failed: %s", host, port, tostring(s.connecting)))
	end
	s.connecting = nil
	return id, s.addr, s.port
end

-- Hands the socket over to another service (which calls socket.start(id)):
-- forget it here without closing it.  Until then it belongs to no service,
-- so this one may exit without closing it.
function socket.abandon(id)
	local s = sockets[id]
	if s then
		s.connected = false
		wakeup(s)
		close_callbacks[id] = nil
		sockets[id] = nil
	end
	unclaimed[id] = nil
	driver.abandon(id)
end

-- Closes the socket when more than limit bytes are buffered unread.
function socket.limit(id, limit)
	local s = assert(sockets[id], "invalid socket")
	s.buffer_limit = limit
end

function socket.warning(id, callback)
	local s = assert(sockets[id], "invalid socket")
	s.on_warning = callback
end

function socket.onclose(id, callback)
	close_callbacks[id] = callback
end

---------------------------------------------------------------- UDP

local function new_udp(id, callback)
	assert(sockets[id] == nil, "socket is not closed")
	sockets[id] = { id = id, protocol = "UDP", connected = true, callback = callback }
end

-- callback(data, from) gets each datagram; from is an opaque address for
-- socket.sendto and socket.udp_address.
function socket.udp(callback, host, port)
	local id = driver.udp(host, port)
	new_udp(id, callback)
	return id
end

-- a udp socket bound to addr:port
function socket.udp_listen(addr, port, callback)
	local id = driver.udp_listen(addr, port)
	new_udp(id, callback)
	return id
end

-- an unbound udp socket whose writes go to addr:port
function socket.udp_dial(addr, port, callback)
	local id = driver.udp_dial(addr, port)
	new_udp(id, callback)
	return id
end

function socket.udp_connect(id, addr, port, callback)
	local s = sockets[id]
	if s then
		assert(s.protocol == "UDP", "not a udp socket")
		if callback then
			s.callback = callback
		end
	else
		new_udp(id, callback)
	end
	driver.udp_connect(id, addr, port)
end

socket.sendto = assert(driver.udp_send)
socket.udp_address = assert(driver.udp_address)
socket.netstat = assert(driver.info)
socket.resolve = assert(driver.resolve)

return socket
