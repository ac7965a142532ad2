-- Echo service for bench_call: answers every lua request with its arguments.
local skynet = require "skynet"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, ...)
		skynet.retpack(...)
	end)
end)
