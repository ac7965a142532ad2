-- Logs "line 1" .. "line N" then either aborts the node ("abort") or logs
-- "ready" and keeps ticking until the node is stopped from outside ("wait").
-- Used by test/sh/test_node_shutdown.sh and test_node_daemon.sh.
local skynet = require "skynet"
require "skynet.manager"

local mode, count = ...
count = tonumber(count) or 2000

skynet.start(function()
	for i = 1, count do
		skynet.error("line " .. i)
	end
	if mode == "abort" then
		skynet.abort()
		return
	end
	skynet.error("ready")
	local tick = 0
	skynet.fork(function()
		while true do
			tick = tick + 1
			skynet.error("tick " .. tick)
			skynet.sleep(5)
		end
	end)
end)
