-- cmaster: the master of a harbor-mode network, started on the node whose
-- config has `standalone` (the address it listens on).  It knows every
-- slave's address and every global name, and tells the slaves.
--
-- Packages both ways (skynet's): one length byte, then skynet.packstring
-- of the fields.  Slave to master: "H" id address (the handshake), "R" name
-- handle (register), "Q" name (query).  Master to slave: "W" n (n slaves
-- will connect to you), "C" id address (connect to the new slave id),
-- "N" name handle, "D" id (slave id is down).
local skynet = require "skynet"
local socket = require "skynet.socket"
local package = require "skynet.harbor.package"

local slaves = {}  -- id -> { fd = fd (0 once down), addr = address }
local names = {}   -- global name -> handle

local function broadcast(message)
	for _, s in pairs(slaves) do
		if s.fd ~= 0 then
			socket.write(s.fd, message)
		end
	end
end

local function handshake(fd)
	local t, id, addr = package.read(fd)
	assert(t == "H", "Invalid handshake type " .. tostring(t))
	assert(math.type(id) == "integer" and id > 0 and id < 256, "Invalid slave id " .. tostring(id))
	assert(type(addr) == "string", "Invalid slave address")
	local old = slaves[id]
	if old and old.fd ~= 0 then
		error(string.format("Slave %d already register on %s", id, old.addr))
	end
	local n = 0
	local connect = package.pack("C", id, addr)
	for _, s in pairs(slaves) do
		if s.fd ~= 0 then
			socket.write(s.fd, connect)
			n = n + 1
		end
	end
	socket.write(fd, package.pack("W", n))
	slaves[id] = { fd = fd, addr = addr }
	return id, addr
end

local function serve_slave(fd)
	local t, name, handle = package.read(fd)
	if t == "R" then
		assert(type(name) == "string" and math.type(handle) == "integer", "Invalid request")
		if names[name] == nil then
			names[name] = handle
		end
		broadcast(package.pack("N", name, names[name]))
	elseif t == "Q" then
		local h = names[name]
		if h then
			socket.write(fd, package.pack("N", name, h))
		end
	else
		skynet.error("Invalid slave message type " .. tostring(t))
	end
end

local function monitor_slave(id, addr)
	local fd = slaves[id].fd
	skynet.error(string.format("Harbor %d (fd=%d) report %s", id, fd, addr))
	while pcall(serve_slave, fd) do
	end
	skynet.error("slave " .. id .. " is down")
	slaves[id].fd = 0
	broadcast(package.pack("D", id))
	socket.close(fd)
end

skynet.start(function()
	local addr = skynet.getenv "standalone"
	skynet.error("master listen socket " .. tostring(addr))
	local listen = socket.listen(addr)
	socket.start(listen, function(fd, from)
		skynet.error("connect from " .. from .. " " .. fd)
		socket.start(fd)
		local ok, id, slave_addr = pcall(handshake, fd)
		if ok then
			skynet.fork(monitor_slave, id, slave_addr)
		else
			skynet.error(string.format("disconnect fd = %d, error = %s", fd, tostring(id)))
			socket.close(fd)
		end
	end)
end)
