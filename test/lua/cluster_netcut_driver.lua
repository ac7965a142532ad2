-- Node A of test/sh/test_cluster_netcut.sh: callers stream cluster.call to
-- node B across a veth link that the shell cuts (link down: no FIN, no RST,
-- the packets just vanish) and mends, once on each side.  Every call must
-- end within the configured wait; calls fail while the link is down and
-- succeed again once it is up.  Shell steps are "ACTION name" lines.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local T = require "testlib"

local scratch = skynet.getenv "cluster_scratch"
local wait_s = tonumber(skynet.getenv "cluster_wait")
local CALLERS = 8

local function action(name)
	T.shell_action(scratch, name)
end

-- calls[i] = { started, took (s), ok }; callers run until stop is set
local calls = {}
local stop = false
local running = 0

local function caller(id)
	running = running + 1
	local n = 0
	while not stop do
		n = n + 1
		local started = skynet.now()
		local t0 = skynet.hpc()
		local ok, v = pcall(cluster.call, "nb", "@peer", "echo", id, n)
		local took = (skynet.hpc() - t0) / 1e9
		if ok and v ~= id then
			error(string.format("caller %d got %s for its own id", id, tostring(v)))
		end
		calls[#calls + 1] = { started = started, ended = skynet.now(), took = took, ok = ok, err = not ok and tostring(v) }
		if not ok then
			skynet.sleep(5) -- a failing node: retry soon, not in a busy loop
		end
	end
	running = running - 1
end

-- the calls started in [from, to) (skynet.now() ticks)
local function calls_between(from, to)
	local ok, failed, longest, err = 0, 0, 0, nil
	for _, c in ipairs(calls) do
		if c.started >= from and c.started < to then
			if c.ok then ok = ok + 1 else failed = failed + 1; err = err or c.err end
			longest = math.max(longest, c.took)
		end
	end
	return ok, failed, longest, err
end

-- one cut: down for `outage` seconds, then up; checks what the callers saw
local function cut(side)
	local before = skynet.now()
	skynet.sleep(100)
	local cut_at = skynet.now()
	local ok, failed = calls_between(before, cut_at)
	T.ok(ok > 0 and failed == 0, string.format("%s: calls before the cut (%d ok, %d failed)", side, ok, failed))
	action("down-" .. side)
	local outage = 3 * wait_s + 1
	skynet.sleep(outage * 100)
	action("up-" .. side)
	local up_at = skynet.now()
	-- every call started while the link was down ended in bounded time
	local okd, faild, _, err = calls_between(cut_at, up_at)
	-- the calls in flight at the cut are recorded once they end: measure
	-- them with the rest
	skynet.sleep(math.floor(3 * wait_s * 100))
	local _, _, longest = calls_between(before, up_at)
	print(string.format("%s side down %.1f s: %d calls ok, %d failed (%s), longest %.2f s",
		side, outage, okd, faild, err, longest))
	T.ok(faild > 0, side .. ": calls fail while the link is down")
	-- silence is noticed after 2 waits, polled every half wait, plus slack
	T.ok(longest < 3 * wait_s + 0.5, string.format("%s: a call took %.2f s", side, longest))
	-- once up, calls go through again: within a connect wait plus the
	-- silence a dropped connection may still need to be noticed
	local deadline = up_at + math.floor((3 * wait_s + 2) * 100)
	local recovered
	repeat
		skynet.sleep(10)
		local from = skynet.now() - 50
		local okr, failr = calls_between(from, skynet.now())
		recovered = okr >= CALLERS and failr == 0
	until recovered or skynet.now() > deadline
	T.ok(recovered, side .. ": calls succeed again after the link is up")
	local first
	for _, c in ipairs(calls) do
		if c.ok and c.started >= up_at then
			first = math.min(first or c.ended, c.ended)
		end
	end
	print(string.format("%s side up: the first call after it succeeded %.2f s later", side, (first - up_at) / 100))
end

T.run(function()
	cluster.open "na"
	T.eq(cluster.call("nb", "@peer", "echo", "hello"), "hello", "B answers before any cut")
	for i = 1, CALLERS do
		skynet.fork(caller, i)
	end
	cut "b"
	cut "a"
	-- a call in flight across the cut: B sleeps 2 waits, the link goes down
	local wait = T.started(cluster.call, "nb", "@peer", "sleep", 2 * wait_s * 100)
	skynet.sleep(20)
	action "down-b2"
	local okc = wait(math.floor((3 * wait_s + 1) * 100), "a call in flight on a cut link")
	T.ok(not okc, "a call in flight on a cut link fails")
	action "up-b2"
	stop = true
	local deadline = skynet.now() + math.floor((3 * wait_s + 2) * 100)
	while running > 0 and skynet.now() < deadline do
		skynet.sleep(5)
	end
	T.eq(running, 0, "every caller finished")
	T.eq(cluster.call("nb", "@peer", "echo", "after"), "after", "B answers after the cuts")
	print(string.format("%d calls in all", #calls))
end)
