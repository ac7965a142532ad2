-- clusterproxy NODE ADDRESS SENDER: a local stand-in for ADDRESS (a handle,
-- ".name" or "@name") on NODE, made by clusterd for cluster.proxy; SENDER is
-- NODE's clustersender.  Lua messages sent to it go to the remote service;
-- calls return (or fail) as the remote call does.
local skynet = require "skynet"
require "skynet.manager"

local _, address, sender = ...
address = tonumber(address) or address
sender = tonumber(sender)

skynet.register_protocol {
	name = "system",
	id = skynet.PTYPE_SYSTEM,
	unpack = function(msg, sz) return msg, sz end,
}

-- lua messages arrive as "system" ones and are not freed on return: the
-- sender takes them.  Answers pass through untouched (so this service makes
-- no skynet.call of its own: nothing would free the answer).
local forward_map = {
	[skynet.PTYPE_LUA] = skynet.PTYPE_SYSTEM,
	[skynet.PTYPE_SNAX] = skynet.PTYPE_SYSTEM,
	[skynet.PTYPE_RESPONSE] = skynet.PTYPE_RESPONSE,
}

skynet.forward_type(forward_map, function()
	skynet.dispatch("system", function(session, _, msg, sz)
		if session == 0 then
			skynet.send(sender, "lua", "push", address, msg, sz)
		else
			skynet.ret(skynet.rawcall(sender, "lua", skynet.pack("req", address, msg, sz)))
		end
	end)
end)
