-- snax.msgserver: a gate (snax.gateserver) for clients that logged in
-- through snax.loginserver.  Packets are 2-byte big-endian length framed.
--
-- The first packet of a connection is the handshake
--     base64(uid)@base64(server)#base64(subid):index:base64(hmac)
-- where hmac = hmac_hash(secret, "username:index") and index grows with
-- every reconnection; the answer is one packet: "200 OK", "400 Bad
-- Request", "401 Unauthorized", "403 Index Expired" or "404 User Not
-- Found" (the connection is closed after an error).
-- Then each request is  content .. dword session  and each response
--     content .. byte ok .. dword session    (ok: 1, or 0 after an error)
-- A request whose session was answered before (the client reconnected and
-- sends it again) gets the cached response again instead of running twice.
--
-- server.start(conf) with
--   conf.login_handler(uid, secret) -> subid   (the "login" command)
--   conf.logout_handler(uid, subid)            (the "logout" command)
--   conf.kick_handler(uid, subid)              (the "kick" command)
--   conf.request_handler(username, msg) -> response string
--   conf.register_handler(servername)          (when the gate opens)
--   conf.disconnect_handler(username)          (the connection dropped)
--   conf.expired_number  responses kept per user for resending (128)
local skynet = require "skynet"
local gateserver = require "snax.gateserver"
local netpack = require "skynet.netpack"
local crypt = require "skynet.crypt"
local socketdriver = require "skynet.socketdriver"

local b64encode, b64decode = crypt.base64encode, crypt.base64decode

local server = {}

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
}

local users = {}         -- username -> { secret, version, index, username, response, fd, ip }
local handshaking = {}   -- fd -> client address, until its first packet
local connections = {}   -- fd -> user

function server.userid(username)
	local uid, servername, subid = string.match(username, "([^@]*)@([^#]*)#(.*)")
	return b64decode(uid), b64decode(subid), b64decode(servername)
end

function server.username(uid, subid, servername)
	return string.format("%s@%s#%s", b64encode(uid), b64encode(servername), b64encode(tostring(subid)))
end

function server.login(username, secret)
	assert(users[username] == nil, "user is already logged in")
	users[username] = {
		username = username,
		secret = secret,
		version = 0,   -- the index of the connection in use
		index = 0,     -- responses sent, for retiring old ones
		response = {}, -- session -> { fd waiting | nil, packet, version, index }
	}
end

function server.logout(username)
	local u = users[username]
	users[username] = nil
	if u and u.fd and connections[u.fd] then
		gateserver.closeclient(u.fd)
		connections[u.fd] = nil
	end
end

function server.ip(username)
	local u = users[username]
	if u and u.fd then
		return u.ip
	end
end

-- checks a handshake; nil when accepted, else the error answer
local function check_handshake(fd, addr, text)
	local username, index, hmac = string.match(text, "([^:]*):([^:]*):([^:]*)")
	local u = users[username]
	if u == nil then
		return "404 User Not Found"
	end
	local idx = assert(tonumber(index), "bad index")
	if idx <= u.version then
		return "403 Index Expired"
	end
	local expect = crypt.hmac_hash(u.secret, string.format("%s:%s", username, index))
	if expect ~= b64decode(hmac) then
		return "401 Unauthorized"
	end
	u.version = idx
	u.fd = fd
	u.ip = addr
	connections[fd] = u
end

local function handshake(fd, addr, msg, sz)
	local ok, refusal = pcall(check_handshake, fd, addr, netpack.tostring(msg, sz))
	if not ok then
		skynet.error(refusal)
		refusal = "400 Bad Request"
	end
	socketdriver.send(fd, netpack.pack(refusal or "200 OK"))
	if refusal then
		gateserver.closeclient(fd)
	end
end

function server.start(conf)
	local expired_number = conf.expired_number or 128
	local request_handler = assert(conf.request_handler, "msgserver needs request_handler")
	local commands = {
		login = assert(conf.login_handler, "msgserver needs login_handler"),
		logout = assert(conf.logout_handler, "msgserver needs logout_handler"),
		kick = assert(conf.kick_handler, "msgserver needs kick_handler"),
	}

	-- keeps the response cache bounded: once 2 * expired_number responses
	-- went out, those older than the last expired_number are dropped and
	-- the rest renumbered
	local function retire(u)
		if u.index < expired_number * 2 then
			return
		end
		local newest = 0
		for session, p in pairs(u.response) do
			if p[1] == nil then -- answered
				if p[4] < expired_number then
					u.response[session] = nil
				else
					p[4] = p[4] - expired_number
					newest = math.max(newest, p[4])
				end
			end
		end
		u.index = newest + 1
	end

	local function answer(u, fd, session, message)
		local p = { fd }
		u.response[session] = p
		local ok, result = pcall(request_handler, u.username, message)
		-- the handler may have yielded: the connection may be another one now
		result = result or ""
		local tail
		if ok then
			tail = string.pack(">BI4", 1, session)
		else
			skynet.error(result)
			result, tail = "", string.pack(">BI4", 0, session)
		end
		p[2] = string.pack(">s2", result .. tail)
		p[3] = u.version
		p[4] = u.index
		return p
	end

	local function request(fd, message)
		local u = assert(connections[fd], "invalid fd")
		local session = string.unpack(">I4", message, -4)
		message = string.sub(message, 1, -5)
		local p = u.response[session]
		if p and p[3] == u.version then
			-- a session reused on the same connection: a new request,
			-- unless the previous one with it is still running
			u.response[session] = nil
			if p[2] == nil then
				local err = string.format("Conflict session %s", crypt.hexencode(session))
				skynet.error(err)
				error(err)
			end
			p = nil
		end
		if p == nil then
			p = answer(u, fd, session, message)
		else
			-- asked again after a reconnection: resend the cached answer
			-- on this connection (or when it is ready)
			p[1] = fd
			p[3] = u.version
			p[4] = u.index
			if p[2] == nil then
				return
			end
		end
		u.index = u.index + 1
		local to = p[1]
		if connections[to] then
			socketdriver.send(to, p[2])
		end
		p[1] = nil
		retire(u)
	end

	local handler = {}

	function handler.command(cmd, _, ...)
		local f = assert(commands[cmd], "unknown msgserver command")
		return f(...)
	end

	function handler.open(_, gateconf)
		return conf.register_handler(assert(gateconf.servername, "msgserver needs servername"))
	end

	function handler.connect(fd, addr)
		handshaking[fd] = addr
		gateserver.openclient(fd)
	end

	function handler.disconnect(fd)
		handshaking[fd] = nil
		local u = connections[fd]
		if u == nil then
			return
		end
		if conf.disconnect_handler then
			conf.disconnect_handler(u.username)
		end
		if connections[fd] then -- the handler may have logged the user out
			if u.fd == fd then -- not a newer connection of the user
				u.fd = nil
			end
			connections[fd] = nil
			gateserver.closeclient(fd)
		end
	end

	handler.error = handler.disconnect

	function handler.message(fd, msg, sz)
		local addr = handshaking[fd]
		if addr then
			handshaking[fd] = nil
			return handshake(fd, addr, msg, sz)
		end
		local message = netpack.tostring(msg, sz)
		local ok, err = pcall(request, fd, message)
		if not ok then
			skynet.error(string.format("Invalid package %s : %s", tostring(err), message))
			if connections[fd] then
				gateserver.closeclient(fd)
			end
		end
	end

	return gateserver.start(handler)
end

return server
