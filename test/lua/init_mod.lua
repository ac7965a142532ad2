-- A module that registers an init function, run before the service's start.
local skynet = require "skynet"

local M = { ready = false }

skynet.init(function()
	M.ready = true
	INIT_ORDER = (INIT_ORDER or "") .. "module "
end)

return M
