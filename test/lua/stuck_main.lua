-- Started by test/sh/test_node_stuck.sh: a service that never leaves one
-- message, then "STUCK READY".
--   stuck_main loop     `while true do end` (an interrupt ends it)
--   stuck_main pcall    the loop catches every interrupt
--   stuck_main compute  a start function that computes for 8 s, then exits
local skynet = require "skynet"
require "skynet.manager"

local mode = ...

local function spin()
	while true do end
end

skynet.start(function()
	if mode == "compute" then
		local t0 = skynet.hpc()
		local n = 0
		while skynet.hpc() - t0 < 8e9 do
			n = n + 1
		end
		skynet.error("COMPUTED", n > 0, "endless flag", skynet.endless())
		skynet.abort()
		return
	end
	skynet.error "STUCK READY"
	if mode == "pcall" then
		while true do
			pcall(spin)
		end
	end
	spin()
end)
