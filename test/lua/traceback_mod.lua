-- A module between the service and debug.traceback, for test_traceback.
local M = {}

function M.through(f, ...)
	local r = f(...)
	return r
end

return M
