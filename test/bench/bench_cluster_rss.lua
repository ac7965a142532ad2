-- Samples this node's RSS every 10 ms: "peak" answers the highest seen.
local skynet = require "skynet"
local B = require "benchlib"

local peak = 0

skynet.start(function()
	skynet.dispatch("lua", function()
		skynet.retpack(peak)
	end)
	skynet.fork(function()
		while true do
			peak = math.max(peak, B.rss_kb())
			skynet.sleep(1)
		end
	end)
end)
