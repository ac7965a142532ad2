-- cslave: this node's agent in a harbor-mode network (config `harbor` 1..255,
-- `master`, `address`).  It joins the master, makes the TCP links to the
-- other harbors and hands them to the `harbor` C service, and keeps the
-- global names.  skynet.harbor talks to it as ".cslave".
local skynet = require "skynet"
local socket = require "skynet.socket"
local socketdriver = require "skynet.socketdriver"
local package = require "skynet.harbor.package"
local harbor_names = require "skynet.harbor.names"
require "skynet.manager"

local master_fd
local slaves = {}         -- id -> fd while linked, false once down
local names = harbor_names.new()
local link_waiters = {}   -- id -> { response, ... } of LINK / CONNECT callers
local master_waiters = {} -- responses of LINKMASTER callers

harbor_names.register_protocols()

local function wake_all(list)
	for _, response in ipairs(list) do
		response(true)
	end
end

-- the link to id changed (up or down): LINK and CONNECT callers return
local function link_changed(id)
	local list = link_waiters[id]
	if list then
		link_waiters[id] = nil
		wake_all(list)
	end
end

-- hands an open connection to harbor id over to the harbor service
local function give_link(kind, fd, id)
	slaves[id] = fd
	link_changed(id)
	socket.abandon(fd)
	skynet.send(names.harbor_service, "harbor", string.format("%s %d %d", kind, fd, id))
end

local function connect_slave(id, addr)
	if slaves[id] then
		return
	end
	local fd, err = socket.open(addr)
	if not fd then
		skynet.error(string.format("Can't connect to harbor %d at %s: %s", id, addr, tostring(err)))
		return
	end
	socketdriver.nodelay(fd)
	skynet.error(string.format("Connect to harbor %d (fd=%d), %s", id, fd, addr))
	give_link("S", fd, id)
end

-- a harbor connecting to us says its id in one byte
local function accept_slave(fd)
	socket.start(fd)
	local b = socket.read(fd, 1)
	if not b then
		skynet.error(string.format("Connection (fd =%d) closed", fd))
		socket.close(fd)
		return
	end
	local id = b:byte()
	if id == 0 or slaves[id] then
		skynet.error(string.format("Slave %d exist (fd =%d)", id, fd))
		socket.close(fd)
		return
	end
	skynet.error(string.format("Harbor %d connected (fd = %d)", id, fd))
	give_link("A", fd, id)
	return true
end

local function monitor_master()
	while true do
		local ok, t, id_or_name, addr_or_handle = pcall(package.read, master_fd)
		if not ok then
			break
		end
		if t == "C" then
			connect_slave(id_or_name, addr_or_handle)
		elseif t == "N" then
			names:learn(id_or_name, addr_or_handle)
		elseif t == "D" then
			local fd = slaves[id_or_name]
			slaves[id_or_name] = false
			if fd then
				socketdriver.close(fd) -- the harbor service sees it close
			end
			link_changed(id_or_name)
		end
	end
	skynet.error("Master disconnect")
	socket.close(master_fd)
	local list = master_waiters
	master_waiters = {}
	wake_all(list)
end

-- text from the harbor service: "Q name" (unknown name), "D id" (link lost)
local function from_harbor(_, _, text)
	local t, arg = text:sub(1, 1), text:sub(3)
	if t == "Q" then
		local handle = names:get(arg)
		if handle then
			names:tell_harbor(arg, handle)
		else
			socket.write(master_fd, package.pack("Q", arg))
		end
	elseif t == "D" then
		local id = tonumber(arg)
		if id then
			slaves[id] = false
			link_changed(id)
		end
	else
		skynet.error("Unknown command " .. text)
	end
end

local command = {}

function command.REGISTER(name, handle)
	if names:register(name, handle) then
		socket.write(master_fd, package.pack("R", name, handle))
	end
end

function command.QUERYNAME(name)
	if names:query(name) then
		socket.write(master_fd, package.pack("Q", name))
	end
end

local function wait_link(id)
	local list = link_waiters[id] or {}
	link_waiters[id] = list
	list[#list + 1] = skynet.response()
end

function command.LINK(id)
	if slaves[id] then
		wait_link(id)
	else
		skynet.ret()
	end
end

function command.CONNECT(id)
	if slaves[id] then
		skynet.ret()
	else
		wait_link(id)
	end
end

function command.LINKMASTER()
	master_waiters[#master_waiters + 1] = skynet.response()
end

skynet.start(function()
	local master_addr = skynet.getenv "master"
	local harbor_id = tonumber(skynet.getenv "harbor")
	local address = assert(skynet.getenv "address", "harbor mode needs the config key address")
	assert(master_addr, "harbor mode needs the config key master")
	local listen_fd = socket.listen(address)
	skynet.error("slave connect to master " .. tostring(master_addr))
	master_fd = assert(socket.open(master_addr), "Can't connect to master " .. tostring(master_addr))

	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(command[cmd], cmd)
		f(...)
	end)
	skynet.dispatch("text", from_harbor)
	names.harbor_service = assert(skynet.launch("harbor", harbor_id, skynet.self()))

	socket.write(master_fd, package.pack("H", harbor_id, address))
	local t, n = package.read(master_fd)
	assert(t == "W" and math.type(n) == "integer", "slave shakehand failed")
	skynet.error(string.format("Waiting for %d harbors", n))
	skynet.fork(monitor_master)
	if n > 0 then
		local co = coroutine.running()
		local accepted = 0
		socket.start(listen_fd, function(fd, addr)
			skynet.error(string.format("New connection (fd = %d, %s)", fd, addr))
			socketdriver.nodelay(fd)
			local ok, linked = pcall(accept_slave, fd)
			if ok and linked then
				accepted = accepted + 1
				if accepted == n then
					skynet.wakeup(co)
				end
			end
		end)
		skynet.wait(co)
	end
	socket.close(listen_fd)
	skynet.error("Shakehand ready")
end)
