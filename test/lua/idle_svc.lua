-- A service that only starts: what every idle service costs
-- (test_service_cost).
local skynet = require "skynet"

skynet.start(function() end)
