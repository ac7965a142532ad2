-- A service whose start function fails: newservice must raise in the caller.
local skynet = require "skynet"

skynet.start(function()
	error("start_error_svc refuses to start")
end)
