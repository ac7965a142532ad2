-- fork, sleep, yield, wait/wakeup, timeout and the clocks
local skynet = require "skynet"
local T = require "testlib"

local function clocks()
	local now = skynet.now()
	T.eq(math.type(now), "integer", "now is an integer")
	T.ok(now >= 0, "now counts from the start")
	local start = skynet.starttime()
	T.ok(math.abs(start - os.time()) < 60, "starttime is a UTC time of today")
	T.ok(math.abs(skynet.time() - os.time()) <= 2, "time() is the wall clock")
	T.ok(skynet.time() >= start, "time() is after the start")
	local h1 = skynet.hpc()
	local h2 = skynet.hpc()
	T.ok(h2 >= h1, "hpc is monotonic")
	local t0, c0 = skynet.now(), skynet.hpc()
	skynet.sleep(20)
	local dnow, dhpc = skynet.now() - t0, skynet.hpc() - c0
	T.ok(dnow >= 19 and dnow <= 60, "sleep(20) lasts 20 centiseconds, took " .. dnow)
	-- a tick is 10 ms and the sleep starts somewhere inside the current one
	T.ok(dhpc >= 180e6 and dhpc < 600e6, "hpc counts nanoseconds, got " .. dhpc)
end

local function fork_runs_later()
	local order = {}
	skynet.fork(function(a, b)
		order[#order + 1] = "fork " .. a .. b
	end, "x", "y")
	order[#order + 1] = "caller"
	skynet.yield()
	T.eq(table.concat(order, ","), "caller,fork xy", "fork runs after the caller yields")
	-- a fork that errors does not take the service down
	skynet.fork(error, "forked error (expected by the test)")
	skynet.yield()
	local done
	skynet.fork(function() done = true end)
	skynet.sleep(1)
	T.ok(done, "forks still run after a fork error")
end

local function yield_interleaves()
	local log = {}
	local function worker(name)
		for i = 1, 3 do
			log[#log + 1] = name .. i
			skynet.yield()
		end
	end
	skynet.fork(worker, "a")
	skynet.fork(worker, "b")
	skynet.sleep(5)
	T.eq(table.concat(log, " "), "a1 b1 a2 b2 a3 b3", "yield lets other coroutines run")
end

local function wait_wakeup()
	local co
	local woken = false
	skynet.fork(function()
		co = coroutine.running()
		skynet.wait()
		woken = true
	end)
	skynet.sleep(2)
	T.eq(woken, false, "wait blocks")
	T.eq(skynet.wakeup(co), true, "wakeup of a waiting coroutine")
	skynet.sleep(1)
	T.eq(woken, true, "wakeup resumes wait")
	-- wakeup interrupts a sleep, which then returns "BREAK"
	local slept
	skynet.fork(function()
		co = coroutine.running()
		slept = skynet.sleep(1000)
	end)
	skynet.yield()
	local t0 = skynet.now()
	skynet.wakeup(co)
	skynet.sleep(1)
	T.eq(slept, "BREAK", "an interrupted sleep returns BREAK")
	T.ok(skynet.now() - t0 < 100, "the interrupted sleep ended early")
	T.ok(not skynet.wakeup(coroutine.running()), "wakeup of a running coroutine does nothing")
end

-- many timeouts with random delays fire in order of their deadlines; each
-- deadline is bounded by the clock read just before and just after
-- scheduling it, so a loop that crosses a tick cannot fake a disorder
local function timeout_order()
	local n = 2000
	local fired = {}
	local latest = {} -- i -> the latest deadline timeout i can have
	local start = skynet.now()
	for i = 1, n do
		local ticks = math.random(0, 100)
		local earliest = skynet.now() + ticks
		skynet.timeout(ticks, function()
			fired[#fired + 1] = { earliest = earliest, at = skynet.now(), i = i }
		end)
		latest[i] = skynet.now() + ticks
	end
	skynet.sleep(110)
	while #fired < n and skynet.now() - start < 300 do
		skynet.sleep(10)
	end
	T.eq(#fired, n, "all timeouts fired")
	for k = 2, n do
		local prev, cur = fired[k - 1], fired[k]
		T.ok(latest[cur.i] >= prev.earliest,
			string.format("timeout %d (deadline <= %d) fired after one due at >= %d",
				cur.i, latest[cur.i], prev.earliest))
	end
	for k = 1, n do
		T.ok(fired[k].at >= fired[k].earliest, "no timeout fires early")
	end
end

local function timeout_zero_and_args()
	local ran = false
	skynet.timeout(0, function() ran = true end)
	T.eq(ran, false, "timeout(0) runs later, not inline")
	skynet.sleep(1)
	T.eq(ran, true, "timeout(0) ran")
	-- a timer that errors is logged and does not stop later timers
	skynet.timeout(1, function() error("timer error (expected by the test)") end)
	local later = false
	skynet.timeout(2, function() later = true end)
	skynet.sleep(5)
	T.ok(later, "timers after an erroring timer still fire")
end

T.run(function()
	clocks()
	fork_runs_later()
	yield_interleaves()
	wait_wakeup()
	timeout_order()
	timeout_zero_and_args()
end)
