-- The node's exit monitor (skynet.monitor): the core tells it, with an
-- empty "client" message from the service, when a service exits.
local skynet = require "skynet"

local exited = {}

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = function() end,
}

skynet.start(function()
	skynet.dispatch("client", function(_, source)
		exited[#exited + 1] = source
	end)
	skynet.dispatch("lua", function()
		skynet.retpack(exited)
	end)
end)
