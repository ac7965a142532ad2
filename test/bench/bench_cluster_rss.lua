-- Samples this node's RSS every 10 ms and, when started with a service's
-- handle, that service's message queue length (its answer to the debug
-- STAT request, as often as it answers).  A lua request answers the
-- highest RSS (KB) and queue length seen so far.
local skynet = require "skynet"
local B = require "benchlib"

local watched = tonumber((...))
local rss_peak, queue_peak = 0, 0

skynet.start(function()
	skynet.dispatch("lua", function()
		skynet.retpack(rss_peak, queue_peak)
	end)
	skynet.fork(function()
		while true do
			rss_peak = math.max(rss_peak, B.rss_kb())
			skynet.sleep(1)
		end
	end)
	if watched then
		skynet.fork(function()
			while true do
				local stat = skynet.call(watched, "debug", "STAT")
				queue_peak = math.max(queue_peak, stat.mqlen)
				skynet.sleep(1)
			end
		end)
	end
end)
