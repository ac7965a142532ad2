-- the login server of the fixture: token "b64(user)@b64(server):b64(pass)",
-- one password for everyone; a second login of a user kicks the first
local login = require "snax.loginserver"
local crypt = require "skynet.crypt"
local skynet = require "skynet"

local conf = {
	host = "127.0.0.1",
	port = tonumber(skynet.getenv "login_port"),
	multilogin = false,
	name = "login_master",
	instance = 2,
}

local gates = {}  -- server name -> gate address
local online = {} -- uid -> { gate =, subid =, server = }

function conf.auth_handler(token)
	local user, server, pass = string.match(token, "([^@]+)@([^:]+):(.+)")
	assert(user, "malformed token")
	assert(crypt.base64decode(pass) == "password", "Invalid password")
	return crypt.base64decode(server), crypt.base64decode(user)
end

function conf.login_handler(server, uid, secret)
	skynet.error(string.format("%s@%s is login, secret is %s", uid, server, crypt.hexencode(secret)))
	local gate = assert(gates[server], "Unknown server")
	if uid == "slowpoke" then
		-- a slow login, to be overtaken by a second one (whose handshake
		-- takes a few round trips: seconds on a loaded machine)
		skynet.sleep(300)
	end
	local last = online[uid]
	if last then
		skynet.call(last.gate, "lua", "kick", uid, last.subid)
	end
	assert(online[uid] == nil, "user is still online")
	local subid = tostring(skynet.call(gate, "lua", "login", uid, secret))
	online[uid] = { gate = gate, subid = subid, server = server }
	return subid
end

local command = {}

function command.register_gate(server, address)
	gates[server] = address
end

function command.logout(uid, subid)
	local u = online[uid]
	if u then
		skynet.error(string.format("%s@%s is logout", uid, u.server))
		online[uid] = nil
	end
end

function conf.command_handler(cmd, ...)
	return assert(command[cmd], "unknown command")(...)
end

login(conf)
