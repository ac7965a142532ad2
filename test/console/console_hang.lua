-- A service for the console tests whose "lua" handler never answers.
local skynet = require "skynet"
require "skynet.manager"

skynet.start(function()
	skynet.dispatch("lua", function()
		skynet.wait()
	end)
	skynet.register ".hang"
end)
