-- A service started with skynet.filter: requests of the "client" type are
-- served by its "lua" dispatch, and every message is counted on the way in.
local skynet = require "skynet"
require "skynet.manager"

local seen = 0

skynet.filter(function(ptype, msg, sz, session, source)
	seen = seen + 1
	if ptype == skynet.PTYPE_CLIENT then
		ptype = skynet.PTYPE_LUA
	end
	return ptype, msg, sz, session, source
end, function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		if cmd == "seen" then
			skynet.retpack(seen)
		else
			skynet.retpack(cmd, ...)
		end
	end)
end)
