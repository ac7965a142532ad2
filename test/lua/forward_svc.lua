-- A proxy started with skynet.forward_type: "client" requests are passed on
-- untouched (skynet.redirect, same source and session) to the target given
-- as argument, which answers the original caller directly.
local skynet = require "skynet"
require "skynet.manager"

local target = tonumber(...)

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = function(msg, sz) return msg, sz end,
}

skynet.forward_type({ [skynet.PTYPE_CLIENT] = skynet.PTYPE_CLIENT }, function()
	skynet.dispatch("client", function(session, source, msg, sz)
		skynet.ignoreret() -- the target answers
		skynet.redirect(target, source, "lua", session, msg, sz)
	end)
	skynet.dispatch("lua", function(_, _, cmd)
		skynet.retpack(cmd == "ping" and "pong")
	end)
end)
