-- Spawning trivial Lua services with skynet.newservice: services per second,
-- the growth of the process's resident memory per idle service, and how
-- fast they are killed.  SPAWN_N (environment) sets the count (default
-- 2000); the rate of each tenth is logged, to see whether spawning slows
-- down as the node fills.
local skynet = require "skynet"
local B = require "benchlib"

local N = math.tointeger(tonumber(os.getenv("SPAWN_N"))) or 2000

local function settled_rss_kb()
	collectgarbage("collect")
	skynet.sleep(20)	-- let the new services finish their start-up messages
	return B.rss_kb()
end

B.run(function()
	skynet.newservice("bench_trivial")	-- warm the code cache and the launcher
	local before = settled_rss_kb()
	local services = {}
	local tenth = math.max(N // 10, 1)
	local t0 = skynet.hpc()
	local t_tenth = t0
	for i = 1, N do
		services[i] = skynet.newservice("bench_trivial")
		if i % tenth == 0 then
			skynet.error(string.format("spawned %d: %.0f services/s in the last %d", i,
				tenth / B.since(t_tenth), tenth))
			t_tenth = skynet.hpc()
		end
	end
	local elapsed = B.since(t0)
	local after = settled_rss_kb()
	B.report("spawn_services_per_s", N / elapsed)
	B.report("spawn_rss_kb_per_service", (after - before) / N)
	t0 = skynet.hpc()
	for i = 1, N do
		skynet.kill(services[i])
	end
	B.report("kill_services_per_s", N / B.since(t0))
	-- skynet logs every kill: give its logger time to print the figures
	-- before the node aborts
	skynet.sleep(50)
end)
