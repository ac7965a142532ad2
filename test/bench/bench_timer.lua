-- One service schedules 100,000 skynet.timeout calls with random delays of
-- 0.01 to 1 s.  Checks that every one fires, not before its deadline and in
-- deadline order, and reports the time from the first scheduling to the last
-- firing.
local skynet = require "skynet"
local B = require "benchlib"

local N = 100000

B.run(function()
	local fired = 0
	local latest = 0	-- largest deadline fired so far
	local early, out_of_order = 0, 0
	local t0 = skynet.hpc()
	local done_at
	local all_fired = coroutine.running()

	local function schedule(ticks)
		-- the clock may step between reading it here and the timer
		-- registering, so both checks allow one tick of slack
		local deadline = skynet.now() + ticks
		skynet.timeout(ticks, function()
			fired = fired + 1
			if skynet.now() < deadline - 1 then
				early = early + 1
			end
			if deadline < latest - 1 then
				out_of_order = out_of_order + 1
			elseif deadline > latest then
				latest = deadline
			end
			if fired == N then
				done_at = skynet.hpc()
				skynet.wakeup(all_fired)
			end
		end)
	end

	for _ = 1, N do
		schedule(math.random(1, 100))
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
