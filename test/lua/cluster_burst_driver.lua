-- The sending node of test/sh/test_cluster_burst.sh: bursts of one-way
-- cluster.send in tight loops.  Every message must arrive, in order, while
-- the sender's queue and this node's memory stay bounded (flow control),
-- and the receiving node's memory too when its service is slower than the
-- sender (it stops reading); a peer that never reads must not hold the
-- loop forever.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
require "skynet.manager"

local BURST = 300000
local QUEUE_BOUND = 4096         -- messages in the sender's queue
local LUA_BOUND_KB = 8 * 1024    -- the sender's Lua memory
local RSS_GROWTH_BOUND_KB = 16 * 1024
local SLOW_BURST = 30000         -- messages of 1000 bytes to a slow service: ~35 MB if all queued
local RECEIVER_GROWTH_BOUND_KB = 16 * 1024 -- ~33 MB when nothing holds the reading back
local DEAF_BURST = 20000         -- messages of 1000 bytes to a peer that never reads
local DEAF_SECONDS = 60

local failures = 0
local function check(ok, what)
	print((ok and "ok: " or "FAILED: ") .. what)
	if not ok then
		failures = failures + 1
	end
end

local function watch(node)
	return skynet.newservice("cluster_burst_watch", cluster.get_sender(node))
end

local function check_bounds(name, watcher, rss_before)
	local peak = skynet.call(watcher, "lua")
	check(peak.queue < QUEUE_BOUND, string.format("%s: the sender's queue peaked at %d messages (bound %d)", name, peak.queue, QUEUE_BOUND))
	check(peak.lua_kb < LUA_BOUND_KB, string.format("%s: the sender's Lua memory peaked at %.0f KB (bound %d)", name, peak.lua_kb, LUA_BOUND_KB))
	local growth = peak.rss - rss_before
	if skynet.getenv "sanitized" then
		print(string.format("%s: RSS grew %d KB, not checked: a sanitizer build's allocator keeps freed memory", name, growth))
	else
		check(growth < RSS_GROWTH_BOUND_KB, string.format("%s: this node's RSS grew %d KB (bound %d)", name, growth, RSS_GROWTH_BOUND_KB))
	end
end

-- sends count ticks (cmd: "tick" or "slowtick") of stream to node's
-- "@sink"; answers the seconds taken
local function burst(node, stream, count, pad, cmd)
	cmd = cmd or "tick"
	local t0 = skynet.now()
	for i = 1, count do
		cluster.send(node, "@sink", cmd, stream, i, pad)
	end
	return (skynet.now() - t0) / 100
end

local function check_arrived(node, stream, count)
	local got, wrong = cluster.call(node, "@sink", "report", stream)
	check(got == count and wrong == nil, string.format("%s: %d of %d messages arrived, order: %s", stream, got, count, wrong or "kept"))
end

-- a known sender: the burst is held to the window
local function burst_known_sender()
	cluster.call("nb", "@sink", "report", "warm up")
	local watcher = watch("nb")
	skynet.sleep(5)
	local before = skynet.call(watcher, "lua").rss
	local took = burst("nb", "main", BURST)
	check_arrived("nb", "main", BURST)
	print(string.format("main: %d messages in %.2f s", BURST, took))
	skynet.sleep(2)
	check_bounds("main", watcher, before)
end

-- a service on the receiving node that takes its messages slower than they
-- come: that node stops reading, so its memory stays bounded, and every
-- message still arrives, in order
local function burst_slow_receiver()
	local _, before = cluster.call("nb", "@watch")
	local took = burst("nb", "slow", SLOW_BURST, string.rep("p", 1000), "slowtick")
	check_arrived("nb", "slow", SLOW_BURST)
	print(string.format("slow: %d messages in %.2f s", SLOW_BURST, took))
	local growth = cluster.call("nb", "@watch").rss - before
	if skynet.getenv "sanitized" then
		print(string.format("slow: the receiving node's RSS grew %d KB, not checked in a sanitizer build", growth))
	else
		check(growth < RECEIVER_GROWTH_BOUND_KB, string.format("slow: the receiving node's RSS grew %d KB (bound %d)", growth, RECEIVER_GROWTH_BOUND_KB))
	end
end

-- two threads of one service bursting at once, to a node whose sender is
-- not known yet (the first sends queue while it is looked up)
local function burst_two_threads()
	local running = 2
	for _, stream in ipairs { "left", "right" } do
		skynet.fork(function()
			burst("nb2", stream, BURST // 4)
			running = running - 1
		end)
	end
	while running > 0 do
		skynet.sleep(1)
	end
	check_arrived("nb2", "left", BURST // 4)
	check_arrived("nb2", "right", BURST // 4)
end

-- a peer that accepts and never reads: the sender drops its connection
-- once nothing moves, so the loop ends (what the peer did not take is lost,
-- logged) with the queue still bounded
local function burst_deaf_peer()
	-- a short timeout here, so the deaf peer is given up quickly (the bursts
	-- above had a long one: on a loaded machine node B may take seconds to
	-- work through them, and the check call waits behind them all)
	cluster.reload { __timeout = 1 }
	local pad = string.rep("d", 1000)
	cluster.send("deaf", "@sink", "tick", "deaf", 0, pad)
	local watcher = watch("deaf")
	local before = skynet.call(watcher, "lua").rss
	local took = burst("deaf", "deaf", DEAF_BURST, pad)
	check(took < DEAF_SECONDS, string.format("deaf: %d sends of 1000 bytes to a peer that never reads ended in %.1f s", DEAF_BURST, took))
	check_bounds("deaf", watcher, before)
end

skynet.start(function()
	skynet.fork(function()
		burst_known_sender()
		burst_slow_receiver()
		burst_two_threads()
		burst_deaf_peer()
		print(failures == 0 and "TEST PASS" or "TEST FAIL")
		skynet.abort()
	end)
end)
