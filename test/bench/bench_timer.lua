-- One service schedules 100,000 skynet.timeout calls with random delays of
-- 0.01 to 1 s.  Checks that every one fires, not before its deadline and in
-- deadline order, and reports the time from the first scheduling to the last
-- firing.
local skynet = require "skynet"
local B = require "benchlib"

local N = 100000
local now = skynet.now

B.run(function()
	local fired = 0
	local latest = 0	-- the largest earliest-possible deadline fired so far
	local early, out_of_order = 0, 0
	local t0 = skynet.hpc()
	local done_at
	local all_fired = coroutine.running()

	-- The timer registers at some tick between `before` and the clock read
	-- right after skynet.timeout (this worker may be preempted in between),
	-- so its deadline lies in [lo, hi].  Only what no deadline in those
	-- bounds explains counts as an error.
	local function schedule(ticks, before)
		local lo, hi = before + ticks
		skynet.timeout(ticks, function()
			fired = fired + 1
			if now() < lo then
				early = early + 1
			end
			if hi < latest then
				out_of_order = out_of_order + 1
			elseif lo > latest then
				latest = lo
			end
			if fired == N then
				done_at = skynet.hpc()
				skynet.wakeup(all_fired)
			end
		end)
		local after = now()
		hi = after + ticks
		return after
	end

	local clock = now()
	for _ = 1, N do
		clock = schedule(math.random(1, 100), clock)
	end
	local scheduled = B.since(t0)
	-- lost timeouts must fail the benchmark, not hang it
	skynet.timeout(500, function()
		if fired < N then
			skynet.error(string.format("BENCH_ERROR only %d of %d timeouts fired within 5 s", fired, N))
			skynet.abort()
		end
	end)
	skynet.wait(all_fired)
	assert(early == 0, early .. " timeouts fired before their deadline")
	assert(out_of_order == 0, out_of_order .. " timeouts fired out of deadline order")
	skynet.error(string.format("timer: scheduling %d timeouts took %.3f s", N, scheduled))
	B.report("timer_last_fired_s", (done_at - t0) / 1e9)
end)
