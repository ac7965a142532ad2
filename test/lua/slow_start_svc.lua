-- A service whose start takes a while: newservice/uniqueservice wait for it.
local skynet = require "skynet"

skynet.start(function()
	skynet.sleep(20)
	skynet.dispatch("lua", function(_, _, ...)
		skynet.retpack(...)
	end)
end)
