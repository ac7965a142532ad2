-- Watches a node for test/sh/test_cluster_burst.sh: every 10 ms the node's
-- RSS (KB, from /proc/self/status) and, as often as it answers, the message
-- queue length and Lua memory (KB) of the clustersender given as argument
-- (if any).  A lua request answers the peaks seen so far and the RSS now.
local skynet = require "skynet"

local sender = tonumber((...))
local peak = { rss = 0, queue = 0, lua_kb = 0 }

local function rss_kb()
	local f = assert(io.open("/proc/self/status"))
	local status = f:read("a")
	f:close()
	return tonumber(status:match("VmRSS:%s*(%d+)%s*kB"))
end

skynet.start(function()
	skynet.dispatch("lua", function()
		skynet.retpack(peak, rss_kb())
	end)
	skynet.fork(function()
		while true do
			peak.rss = math.max(peak.rss, rss_kb())
			skynet.sleep(1)
		end
	end)
	skynet.fork(function()
		while sender do
			local stat = skynet.call(sender, "debug", "STAT")
			peak.queue = math.max(peak.queue, stat.mqlen)
			peak.lua_kb = math.max(peak.lua_kb, skynet.call(sender, "debug", "MEM"))
			skynet.sleep(1)
		end
	end)
end)
