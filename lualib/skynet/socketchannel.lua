-- skynet.socketchannel: a request/response channel over one TCP connection,
-- with automatic (re)connection, backup hosts and an auth step.
--
--   local channel = socketchannel.channel {
--     host = "127.0.0.1", port = 6379,
--     backup = { "10.0.0.2", { host = "10.0.0.3", port = 6380 } },
--     auth = function(channel) ... end,    -- runs after each connect
--     response = function(sock) return session, ok, data [, padding] end,
--     nodelay = true,
--     connect_timeout = 500,               -- centiseconds per connect attempt
--     overload = function(is_overloaded) ... end,
--   }
--
-- Order mode (no desc.response): responses come back in request order;
-- channel:request(req, function(sock) return ok, data [, padding] end).
-- Session mode (desc.response): responses carry a session;
-- channel:request(req, session) and channel:response(session).
-- sock:read(sz) and sock:readline(sep) raise socketchannel.error when the
-- connection breaks; every waiting request then raises it too.
local skynet = require "skynet"
local socket = require "skynet.socket"
local driver = require "skynet.socketdriver"

local socketchannel = {}
local channel = {}
local channel_meta = { __index = channel }

local socket_error = setmetatable({}, { __tostring = function() return "[Error: socket]" end })
socketchannel.error = socket_error

-- The connection object handed to response and auth functions: sock[1] is
-- the socket id.  It also holds the requests waiting on this connection.
local conn = {}
local conn_meta = { __index = conn }

function conn:read(sz)
	local data = socket.read(self[1], sz)
	if not data then
		error(socket_error)
	end
	return data
end

function conn:readline(sep)
	local line = socket.readline(self[1], sep)
	if not line then
		error(socket_error)
	end
	return line
end

function socketchannel.channel(desc)
	local c = {
		host = assert(desc.host, "socketchannel needs a host"),
		port = assert(desc.port, "socketchannel needs a port"),
		backup = desc.backup,
		auth = desc.auth,
		session_reader = desc.response, -- set: session mode
		nodelay = desc.nodelay,
		connect_timeout = desc.connect_timeout,
		overload_notify = desc.overload,
		overloaded = false,
		sock = false,                 -- the current connection
		closed = false,
		connecting = false,           -- coroutines waiting for a connect in progress
		auth_co = false,              -- the coroutine running auth
		result = {},                  -- co -> ok (or socket_error)
		result_data = {},             -- co -> data (or error message)
	}
	return setmetatable(c, channel_meta)
end

-- Hands a result to the coroutine waiting for it.  A multi-part response
-- (padding) collects its parts in a table first.
local function finish(self, co, ok, data)
	self.result[co] = ok
	local parts = self.result_data[co]
	if ok and parts then
		parts[#parts + 1] = data
	else
		self.result_data[co] = data
	end
	skynet.wakeup(co)
end

local function fail_pending(self, sock, err)
	if self.session_reader then
		for session, co in pairs(sock.pending) do
			sock.pending[session] = nil
			finish(self, co, socket_error, err)
		end
	else
		for i = sock.head, sock.tail do
			local co = sock.pending[i].co
			sock.pending[i] = nil
			finish(self, co, socket_error, err)
		end
		sock.head, sock.tail = 1, 0
	end
end

-- Retires a connection: its waiting requests fail with err, its dispatcher
-- stops, the socket is closed.  Never raises.
local function drop_connection(self, sock, err)
	if not sock.alive then
		return
	end
	sock.alive = false
	if self.sock == sock then
		self.sock = false
	end
	fail_pending(self, sock, err)
	local idle = sock.idle
	if idle then
		sock.idle = nil
		skynet.wakeup(idle)
	end
	pcall(socket.close, sock[1])
end

local function error_message(err)
	if err ~= socket_error then
		return err
	end
end

---------------------------------------------------------------- dispatchers

-- Session mode: read responses as they come, match them by session.
local function dispatch_by_session(self, sock)
	local response = self.session_reader
	while sock.alive do
		local ok, session, result_ok, result_data, padding = pcall(response, sock)
		if not ok or not session then
			drop_connection(self, sock, error_message(session))
			return
		end
		local co = sock.pending[session]
		if co == nil then
			skynet.error("socket: unknown session :", session)
		elseif padding and result_ok then
			local parts = self.result_data[co] or {}
			self.result_data[co] = parts
			parts[#parts + 1] = result_data
		else
			sock.pending[session] = nil
			finish(self, co, result_ok, result_data)
		end
	end
end

-- Waits for the next request in order mode; nil once the connection is gone.
local function next_request(sock)
	while sock.alive do
		local head = sock.head
		if head <= sock.tail then
			local req = sock.pending[head]
			sock.pending[head] = nil
			sock.head = head + 1
			return req
		end
		sock.idle = coroutine.running()
		skynet.wait(sock.idle)
	end
end

-- Reads one response; a multi-part one (padding) becomes a table of parts.
local function read_response(func, sock)
	local ok, data, padding = func(sock)
	if not (ok and padding) then
		return ok, data
	end
	local parts = { data }
	repeat
		ok, data, padding = func(sock)
		if not ok then
			return ok, data
		end
		parts[#parts + 1] = data
	until not padding
	return true, parts
end

-- Order mode: the n-th response answers the n-th request.
local function dispatch_by_order(self, sock)
	while true do
		local req = next_request(sock)
		if req == nil then
			return
		end
		local ok, result_ok, result_data = pcall(read_response, req.func, sock)
		if ok then
			finish(self, req.co, result_ok, result_data)
		else
			local err = error_message(result_ok)
			finish(self, req.co, socket_error, err)
			drop_connection(self, sock, err)
			return
		end
	end
end

---------------------------------------------------------------- connecting

local function watch_overload(self, fd)
	local notify = self.overload_notify
	local function trigger(id, size)
		local sock = self.sock
		if not sock or sock[1] ~= id then
			return
		end
		if size == 0 then
			if self.overloaded then
				self.overloaded = false
				notify(false)
			end
		elseif not self.overloaded then
			self.overloaded = true
			notify(true)
		else
			skynet.error(string.format("WARNING: %d K bytes need to send out (fd = %d %s:%s)", size, id, self.host, self.port))
		end
	end
	socket.warning(fd, trigger)
	skynet.fork(trigger, fd, 0) -- a new connection starts empty
end

local function new_connection(self, fd)
	local sock = setmetatable({ fd, alive = true, pending = {}, head = 1, tail = 0 }, conn_meta)
	self.sock = sock
	if self.nodelay then
		driver.nodelay(fd)
	end
	if self.overload_notify then
		watch_overload(self, fd)
	end
	socket.onclose(fd, function()
		drop_connection(self, sock)
	end)
	local dispatch = self.session_reader and dispatch_by_session or dispatch_by_order
	skynet.fork(dispatch, self, sock)
	return sock
end

-- The addresses to try: the main one, then the backups, each once.
local function address_list(self)
	local list, seen = {}, {}
	local function add(host, port)
		local key = host .. ":" .. port
		if not seen[key] then
			seen[key] = true
			list[#list + 1] = { host = host, port = port }
		end
	end
	add(self.host, self.port)
	for _, addr in ipairs(self.backup or {}) do
		if type(addr) == "table" then
			add(addr.host, addr.port or self.port)
		else
			add(addr, self.port)
		end
	end
	return list
end

-- Runs auth on a fresh connection; true when the connection is usable.
local function authenticate(self, sock)
	self.auth_co = coroutine.running()
	local ok, err = pcall(self.auth, self)
	self.auth_co = false
	if not ok then
		if err ~= socket_error then
			skynet.error("socket: auth failed", err)
		end
		drop_connection(self, sock, error_message(err))
	end
	return ok
end

-- Tries each address once; true once connected (and authenticated).
local function connect_once(self)
	local list = address_list(self)
	local err
	local i = 1
	while i <= #list and not self.closed do
		local addr = list[i]
		if i > 1 then
			skynet.error("socket: connect to backup host", addr.host, addr.port)
		end
		local fd
		fd, err = socket.open(addr.host, addr.port, self.connect_timeout)
		if fd then
			self.host, self.port = addr.host, addr.port
			local sock = new_connection(self, fd)
			if not self.auth then
				return true
			end
			if authenticate(self, sock) then
				if self.sock == sock then
					return true
				end
				-- auth switched hosts (changehost): start over
				return connect_once(self)
			end
			err = "auth failed"
			-- auth may have added backup hosts
			for _, more in ipairs(address_list(self)) do
				local known = false
				for _, a in ipairs(list) do
					known = known or (a.host == more.host and a.port == more.port)
				end
				if not known then
					list[#list + 1] = more
				end
			end
		end
		i = i + 1
	end
	return false, err
end

local function try_connect(self, once)
	local delay = 0
	while not self.closed do
		local ok, err = connect_once(self)
		if ok then
			if not once then
				skynet.error("socket: connect to", self.host, self.port)
			end
			return
		end
		if once then
			return err
		end
		skynet.error("socket: connect", self.host, self.port, err)
		skynet.sleep(delay)
		delay = math.min(delay + 100, 1000)
	end
	return "channel closed"
end

-- true: the connection is usable by the running coroutine
local function usable(self)
	local sock = self.sock
	if not sock then
		return false
	end
	if socket.disconnected(sock[1]) then
		skynet.error("socket: disconnect detected ", self.host, self.port)
		drop_connection(self, sock)
		return false
	end
	return not self.auth_co or self.auth_co == coroutine.running()
end

-- Makes sure the channel is connected, connecting (once, or retrying until
-- it works) if needed; coroutines arriving meanwhile wait for that attempt.
local function ensure_connected(self, once)
	if usable(self) then
		return true
	end
	if self.closed then
		error("socket channel is closed")
	end
	local err
	if self.connecting then
		local co = coroutine.running()
		table.insert(self.connecting, co)
		skynet.wait(co)
	else
		self.connecting = {}
		err = try_connect(self, once)
		local waiting = self.connecting
		self.connecting = false
		for _, co in ipairs(waiting) do
			skynet.wakeup(co)
		end
	end
	if usable(self) then
		return true
	end
	skynet.error(string.format("Connect to %s:%s failed (%s)", self.host, self.port, err or "closed"))
	error(socket_error)
end

---------------------------------------------------------------- API

function channel:connect(once)
	self.closed = false
	return ensure_connected(self, once)
end

local function wait_for_response(self, sock, response)
	local co = coroutine.running()
	if self.session_reader then
		sock.pending[response] = co
	else
		sock.tail = sock.tail + 1
		sock.pending[sock.tail] = { func = response, co = co }
		local idle = sock.idle
		if idle then
			sock.idle = nil
			skynet.wakeup(idle)
		end
	end
	skynet.wait(co)
	local ok = self.result[co]
	local data = self.result_data[co]
	self.result[co] = nil
	self.result_data[co] = nil
	if ok == socket_error then
		error(data or socket_error)
	end
	assert(ok, data)
	return data
end

-- writes with send (socket.write or socket.lwrite); a write that fails
-- drops the connection
local function write(self, sock, send, ...)
	if not send(sock[1], ...) then
		drop_connection(self, sock)
		error(socket_error)
	end
end

local function response_of(self, sock, response)
	if response ~= nil then
		return wait_for_response(self, sock, response)
	end
end

-- Sends request (a string, or with padding: request then each string of
-- the padding table, at low priority) and waits for its response, unless
-- response is nil.
function channel:request(request, response, padding)
	ensure_connected(self, true)
	local sock = self.sock
	if padding then
		write(self, sock, socket.lwrite, request)
		for _, part in ipairs(padding) do
			write(self, sock, socket.lwrite, part)
		end
	else
		write(self, sock, socket.write, request)
	end
	return response_of(self, sock, response)
end

-- Like request, for a request that is a skynet_malloc'ed buffer msg of sz
-- bytes: the socket takes it as it is (no copy), at low priority, and
-- frees it whatever happens.
function channel:requestmsg(msg, sz, response)
	local ok, err = pcall(ensure_connected, self, true)
	if not ok then
		skynet.trash(msg, sz)
		error(err)
	end
	local sock = self.sock
	write(self, sock, socket.lwrite, msg, sz)
	return response_of(self, sock, response)
end

-- Session mode: waits for the response with this session without sending.
function channel:response(session)
	ensure_connected(self)
	return wait_for_response(self, self.sock, session)
end

function channel:close()
	if not self.closed then
		self.closed = true
		if self.sock then
			drop_connection(self, self.sock, "channel_closed")
		end
	end
end

-- Switches to another host; the next request connects there.
function channel:changehost(host, port)
	self.host = host
	if port then
		self.port = port
	end
	if not self.closed and self.sock then
		drop_connection(self, self.sock)
	end
end

function channel:changebackup(backup)
	self.backup = backup
end

channel_meta.__gc = channel.close

return socketchannel
