-- snax.loginserver: the login service of skynet's login flow.  A service
-- file calls login(conf) (it returns nothing: it starts the service).  The
-- first instance registers ".NAME" (conf.name, default "login"), listens
-- on conf.host:conf.port and runs conf.instance (default 8) copies of
-- itself as slaves, which do the handshake of each client in turn.
--
-- The protocol, lines ending in \n:
--   server: base64(8-byte challenge)
--   client: base64(dhexchange(client key))
--   server: base64(dhexchange(server key))      secret = dhsecret(...)
--   client: base64(hmac64(challenge, secret))
--   client: base64(desencode(secret, token))
--   server: "200 base64(subid)" | "401 Unauthorized" (auth_handler raised)
--           | "403 Forbidden" (login_handler raised)
--           | "406 Not Acceptable" (the user is logging in already)
--
-- conf.auth_handler(token) -> server, uid      (runs in a slave)
-- conf.login_handler(server, uid, secret) -> subid
-- conf.command_handler(command, ...)          the master's "lua" commands
-- conf.multilogin: allow one uid to log in twice at the same time
local skynet = require "skynet"
require "skynet.manager"
local socket = require "skynet.socket"
local crypt = require "skynet.crypt"

-- raised when the client went away: not worth an error line of its own
local socket_closed = setmetatable({}, { __tostring = function() return "socket error" end })

local function need(service, fd, v)
	if not v then
		skynet.error(string.format("%s failed: socket (fd = %d) closed", service, fd))
		error(socket_closed)
	end
	return v
end

local function send_line(service, fd, text)
	need(service, fd, socket.write(fd, text .. "\n"))
end

local function read_line(fd)
	return need("auth", fd, socket.readline(fd))
end

---------------------------------------------------------------- slave

-- the handshake; returns the secret and the decrypted token
local function handshake(fd)
	-- a client sending more than 8 KB without a line break is dropped
	socket.limit(fd, 8192)
	local challenge = crypt.randomkey()
	send_line("auth", fd, crypt.base64encode(challenge))
	local client_key = crypt.base64decode(read_line(fd))
	if #client_key ~= 8 then
		error "Invalid client key"
	end
	local server_key = crypt.randomkey()
	send_line("auth", fd, crypt.base64encode(crypt.dhexchange(server_key)))
	local secret = crypt.dhsecret(client_key, server_key)
	local proof = crypt.base64decode(read_line(fd))
	if proof ~= crypt.hmac64(challenge, secret) then
		error "challenge failed"
	end
	local token = crypt.desdecode(secret, crypt.base64decode(read_line(fd)))
	return secret, token
end

-- answers: true, server, uid, secret | false, err (auth failed or bad
-- client) | nil, "socket error"
local function authenticate(auth_handler, fd, addr)
	skynet.error(string.format("connect from %s (fd = %d)", addr, fd))
	socket.start(fd)
	local ok, secret, token = pcall(handshake, fd)
	local answer
	if not ok then
		if secret == socket_closed then
			answer = { nil, "socket error" }
		else
			answer = { false, secret }
		end
	else
		local authed, server, uid = pcall(auth_handler, token)
		if authed then
			answer = { true, server, uid, secret }
		else
			answer = { false, server }
		end
	end
	socket.abandon(fd) -- the master writes the answer
	return table.unpack(answer, 1, 4)
end

local function run_slave(auth_handler)
	skynet.dispatch("lua", function(_, _, fd, addr)
		skynet.retpack(authenticate(auth_handler, fd, addr))
	end)
end

---------------------------------------------------------------- master

local logging_in = {} -- uid -> true while its login_handler runs

local function serve_client(conf, slave, fd, addr)
	local ok, server, uid, secret = skynet.call(slave, "lua", fd, addr)
	if not ok then
		if ok == false then
			send_line("response 401", fd, "401 Unauthorized")
		end
		error(server)
	end
	if not conf.multilogin then
		if logging_in[uid] then
			send_line("response 406", fd, "406 Not Acceptable")
			error(string.format("User %s is already login", uid))
		end
		logging_in[uid] = true
	end
	local logged, subid = pcall(conf.login_handler, server, uid, secret)
	logging_in[uid] = nil
	if not logged then
		send_line("response 403", fd, "403 Forbidden")
		error(subid)
	end
	send_line("response 200", fd, "200 " .. crypt.base64encode(subid or ""))
end

local function run_master(conf)
	local instance = conf.instance or 8
	assert(instance > 0, "loginserver needs at least one instance")
	local host = conf.host or "0.0.0.0"
	local port = assert(tonumber(conf.port), "loginserver needs a port")
	skynet.dispatch("lua", function(_, _, command, ...)
		skynet.retpack(conf.command_handler(command, ...))
	end)
	local slaves = {}
	for i = 1, instance do
		slaves[i] = skynet.newservice(SERVICE_NAME)
	end
	skynet.error(string.format("login server listen at : %s %d", host, port))
	local listener = assert(socket.listen(host, port))
	local next_slave = 0
	socket.start(listener, function(fd, addr)
		next_slave = next_slave % #slaves + 1
		local ok, err = pcall(serve_client, conf, slaves[next_slave], fd, addr)
		if not ok and err ~= socket_closed then
			skynet.error(string.format("invalid client (fd = %d) error = %s", fd, tostring(err)))
		end
		socket.close_fd(fd) -- sends what is queued, then closes
	end)
end

return function(conf)
	local name = "." .. (conf.name or "login")
	skynet.start(function()
		if skynet.localname(name) then
			run_slave(assert(conf.auth_handler, "loginserver needs auth_handler"))
		else
			assert(conf.login_handler, "loginserver needs login_handler")
			assert(conf.command_handler, "loginserver needs command_handler")
			skynet.register(name)
			run_master(conf)
		end
	end)
end
