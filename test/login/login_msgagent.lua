-- a user's agent in the fixture: echoes each request after a short sleep;
-- "boom" raises (the client gets an error response)
local skynet = require "skynet"

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = skynet.tostring,
}

local gate, uid, subid
local command = {}

function command.login(source, u, sid)
	gate, uid, subid = source, u, sid
	skynet.error(string.format("%s is login", uid))
end

function command.logout()
	skynet.error(string.format("%s is logout", uid))
	if gate then
		skynet.call(gate, "lua", "logout", uid, subid)
	end
	skynet.exit()
end

function command.afk()
	skynet.error("AFK")
end

skynet.start(function()
	skynet.dispatch("lua", function(_, source, cmd, ...)
		skynet.retpack(assert(command[cmd])(source, ...))
	end)
	skynet.dispatch("client", function(_, _, msg)
		skynet.sleep(10)
		if msg == "boom" then
			error "boom requested"
		end
		skynet.ret(msg)
	end)
end)
