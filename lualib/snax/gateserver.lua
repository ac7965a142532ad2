-- snax.gateserver: the skeleton of a gate service.  It listens on a port,
-- cuts the byte stream of every client into packets (2-byte big-endian
-- length prefix, see skynet.netpack) and hands events to a handler table:
--
--   handler.connect(fd, addr)       a client connected (not yet reading)
--   handler.message(fd, msg, sz)    a packet; msg is a C pointer the handler
--                                   owns (netpack.tostring or redirect it)
--   handler.disconnect(fd)          the client closed its side
--   handler.error(fd, msg)          the connection failed
--   handler.warning(fd, size)       more than size KB wait to be sent
--   handler.open(source, conf)      the "open" command was run
--   handler.command(cmd, source, ...) any other "lua" command
--   handler.embed                   true: do not call skynet.start
--
-- Commands (skynet.call(gate, "lua", ...)): "open" conf ({ address, port,
-- maxclient, nodelay, backlog }), "close"; backlog defaults to the system's
-- maximum (somaxconn).  A client's packets flow only after
-- gateserver.openclient(fd).  A handler.connect or handler.message that
-- raises costs that client its connection: the error is logged, the client
-- closed and handler.disconnect(fd) called; the gate serves the others on.
local skynet = require "skynet"
local netpack = require "skynet.netpack"
local driver = require "skynet.socketdriver"

local gateserver = {}

local listen_id     -- the listening socket, nil when closed
local queue         -- netpack's queue of complete packets not yet dispatched
local maxclient
local nodelay
local client_number = 0
-- fd -> true while open (counted in client_number), false once the client
-- closed its side or failed (the fd is kept until closeclient, so replies
-- can still be written)
local connection = {}

local CMD = setmetatable({}, { __gc = function() netpack.clear(queue) end })

function gateserver.openclient(fd)
	if connection[fd] then
		driver.start(fd)
	end
end

function gateserver.closeclient(fd)
	local c = connection[fd]
	if c ~= nil then
		if c then
			client_number = client_number - 1
		end
		connection[fd] = nil
		driver.close(fd)
	end
end

local function open(handler, source, conf)
	assert(not listen_id, "gate is already listening")
	local address = conf.address or "0.0.0.0"
	local port = assert(conf.port, "gate needs a port")
	conf.address = address
	maxclient = conf.maxclient or 1024
	nodelay = conf.nodelay
	skynet.error(string.format("Listen on %s:%d", address, port))
	listen_id = driver.listen(address, port, conf.backlog)
	driver.start(listen_id)
	if handler.open then
		return handler.open(source, conf)
	end
end

local function dispatcher(handler)
	local MSG = {}

	-- runs handler[name](fd, ...); if it raises, the client is closed.  A
	-- message's msg is not freed then: the handler may have freed it already.
	local function guarded(name, fd, ...)
		local ok, err = xpcall(handler[name], debug.traceback, fd, ...)
		if ok then
			return
		end
		skynet.error(string.format("gate: handler raised on fd %d, close it: %s", fd, tostring(err)))
		local open = connection[fd]
		gateserver.closeclient(fd)
		if open and handler.disconnect then
			handler.disconnect(fd)
		end
	end

	local function deliver(fd, msg, sz)
		if connection[fd] then
			guarded("message", fd, msg, sz)
		else
			skynet.error(string.format("gate: drop a packet from closed fd %d", fd))
			driver.drop(msg, sz)
		end
	end

	MSG.data = deliver

	-- Several packets arrived in one read: they wait in the queue.  A fresh
	-- coroutine takes over the queue before each one is delivered, so a
	-- handler.message that blocks does not hold up the rest.
	local function drain()
		local fd, msg, sz = netpack.pop(queue)
		if fd then
			skynet.fork(drain)
			deliver(fd, msg, sz)
		end
	end

	MSG.more = drain

	function MSG.open(fd, addr)
		if client_number >= maxclient then
			skynet.error(string.format("gate: too many clients (%d), reject %s", maxclient, addr))
			driver.close(fd)
			return
		end
		-- what a client streams is cut into messages for others: its
		-- socket is not read while the gate is behind
		driver.holdreads(fd)
		if nodelay then
			driver.nodelay(fd)
		end
		connection[fd] = true
		client_number = client_number + 1
		guarded("connect", fd, addr)
	end

	function MSG.close(fd)
		if fd == listen_id then
			listen_id = nil
			return
		end
		if connection[fd] then
			connection[fd] = false
			client_number = client_number - 1
			if handler.disconnect then
				handler.disconnect(fd)
			end
		end
	end

	function MSG.error(fd, msg)
		if fd == listen_id then
			skynet.error("gate: accept error:", msg)
			return
		end
		if connection[fd] then
			connection[fd] = false
			client_number = client_number - 1
			if handler.error then
				handler.error(fd, msg)
			end
		end
	end

	function MSG.warning(fd, size)
		if handler.warning then
			handler.warning(fd, size)
		end
	end

	return MSG
end

function gateserver.start(handler)
	assert(handler.message, "gateserver needs handler.message")
	assert(handler.connect, "gateserver needs handler.connect")

	function CMD.open(source, conf)
		return open(handler, source, conf)
	end

	function CMD.close()
		assert(listen_id, "gate is not listening")
		driver.close(listen_id)
	end

	local MSG = dispatcher(handler)
	skynet.register_protocol {
		name = "socket",
		id = skynet.PTYPE_SOCKET,
		unpack = function(msg, sz)
			return netpack.filter(queue, msg, sz)
		end,
		dispatch = function(_, _, q, event, ...)
			queue = q
			if event then
				MSG[event](...)
			end
		end,
	}

	local function init()
		skynet.dispatch("lua", function(_, source, cmd, ...)
			local f = CMD[cmd]
			if f then
				skynet.ret(skynet.pack(f(source, ...)))
			else
				skynet.ret(skynet.pack(handler.command(cmd, source, ...)))
			end
		end)
	end

	if handler.embed then
		init()
	else
		skynet.start(init)
	end
end

return gateserver
