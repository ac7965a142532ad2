-- Raises an error object whose __tostring raises too: from the start
-- function, or (argument "main") from the service's main chunk.
local skynet = require "skynet"

local bad = setmetatable({}, { __tostring = function() error("tostring fails too") end })
if ... == "main" then
	error(bad)
end
skynet.start(function()
	error(bad)
end)
