-- Spawning trivial Lua services with skynet.newservice: services per second,
-- and the growth of the process's resident memory per idle service.
local skynet = require "skynet"
local B = require "benchlib"

local N = 2000

local function settled_rss_kb()
	collectgarbage("collect")
	skynet.sleep(20)	-- let the new services finish their start-up messages
	return B.rss_kb()
end

B.run(function()
	skynet.newservice("bench_trivial")	-- warm the code cache and the launcher
	local before = settled_rss_kb()
	local t0 = skynet.hpc()
	for _ = 1, N do
		skynet.newservice("bench_trivial")
	end
	local elapsed = B.since(t0)
	local after = settled_rss_kb()
	B.report("spawn_services_per_s", N / elapsed)
	B.report("spawn_rss_kb_per_service", (after - before) / N)
end)
