-- The client node of test/bench/bench_cluster.sh, calling node "server"
-- (bench_cluster_server.lua): sequential cluster.call round trips/s, the
-- same with 16 callers, a burst of one-way cluster.send counted at the
-- receiver (with this node's peak RSS and the sender's queue length,
-- sampled during it; the shell also reads the overload warnings), and
-- calls carrying 1 MB.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local B = require "benchlib"

local SECONDS = 2
local BURST = 200000
local BIG = 1024 * 1024
local BIG_CALLS = 20

-- calls for SECONDS from `callers` threads; answers round trips/s
local function calls_per_s(callers)
	local done, running = 0, callers
	local t0 = skynet.hpc()
	local stop = t0 + SECONDS * 1e9
	for id = 1, callers do
		skynet.fork(function()
			local n = 0
			repeat
				n = n + 1
				local r = cluster.call("server", "@sink", "echo", id, n)
				if r ~= id then
					error(string.format("caller %d got %s", id, tostring(r)))
				end
				done = done + 1
			until n % 64 == 0 and skynet.hpc() >= stop
			running = running - 1
		end)
	end
	while running > 0 do
		skynet.sleep(1)
	end
	return done / B.since(t0)
end

local function burst()
	local sampler = skynet.newservice("bench_cluster_rss", cluster.get_sender("server"))
	skynet.sleep(5)
	local before = skynet.call(sampler, "lua")
	local server_before = cluster.call("server", "@sink", "rss")
	local base = cluster.call("server", "@sink", "count")
	local t0 = skynet.hpc()
	for i = 1, BURST do
		cluster.send("server", "@sink", "tick", i)
	end
	-- answered after every message sent before it: the connection keeps order
	local got = cluster.call("server", "@sink", "count") - base
	local took = B.since(t0)
	if got ~= BURST then
		error(string.format("%d of %d one-way messages arrived", got, BURST))
	end
	B.report("cluster_send_per_s", BURST / took)
	skynet.sleep(2)
	local peak, queue_peak = skynet.call(sampler, "lua")
	B.report("cluster_send_queue_sampled", queue_peak)
	B.report("cluster_send_rss_peak_mb", peak / 1024)
	B.report("cluster_send_rss_growth_mb", (peak - before) / 1024)
	B.report("cluster_recv_rss_growth_mb", (cluster.call("server", "@sink", "rss") - server_before) / 1024)
end

-- up to BIG_CALLS calls, fewer when they take over SECONDS in all
local function big_calls()
	local arg = string.rep("m", BIG)
	local t0 = skynet.hpc()
	local n = 0
	repeat
		n = n + 1
		local size = cluster.call("server", "@sink", "size", arg)
		if size ~= BIG then
			error("a 1 MB argument arrived as " .. tostring(size) .. " bytes")
		end
	until n == BIG_CALLS or (n >= 3 and B.since(t0) > SECONDS)
	B.report("cluster_call_1mb_ms", B.since(t0) * 1000 / n)
end

B.run(function()
	cluster.call("server", "@sink", "echo", "warm up")
	B.report("cluster_call_seq_per_s", calls_per_s(1))
	B.report("cluster_call_16_per_s", calls_per_s(16))
	burst()
	local ok, err = pcall(big_calls)
	if not ok then
		skynet.error("BENCH_ERROR " .. tostring(err))
	end
	-- skynet's own logger may still hold these lines when the node aborts
	skynet.sleep(50)
end)
