-- A service for the console tests that does nothing: started, killed and
-- exited from the console.
local skynet = require "skynet"
local args = table.concat({ ... }, " ")

skynet.start(function()
	skynet.error("console_idle started with", args)
end)
