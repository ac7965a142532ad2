-- One node of test_multicast_harbor.sh: registers the global name
-- "mcnode<harbor>" and makes channels, subscribers and publishes on request.
-- The node whose config has mc_driver drives the checks: a channel made on
-- node 1 with subscribers on both nodes and publishers on both; unsubscribe
-- (down to no subscriber on this node, then back), delete from the other
-- node, and a channel made here with a subscriber on node 1.
local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"
local multicast = require "skynet.multicast"
local mc = require "skynet.multicast.core"
local T = require "testlib"

local id = tonumber(skynet.getenv "harbor")
local made = {} -- channel id -> channel object made here

local command = {}

function command.new()
	local ch = multicast.new()
	made[ch.channel] = ch
	return ch.channel
end

function command.delete(channel)
	made[channel]:delete()
	made[channel] = nil
end

-- n subscribers on this node
function command.subscribers(channel, n)
	local list = {}
	for i = 1, n do
		list[i] = skynet.newservice "mc_sub_svc"
		skynet.call(list[i], "lua", "sub", channel)
	end
	return list
end

-- publishes tag, 1 .. n (and a large value with the first)
function command.publish(channel, tag, first, last)
	local ch = multicast.new { channel = channel }
	for i = first, last do
		ch:publish(tag, i, i == first and string.rep("x", 100000) or nil)
	end
	return skynet.self()
end

function command.live()
	for _ = 1, 300 do
		if mc.live() == 0 then
			break
		end
		skynet.sleep(1)
	end
	return mc.live()
end

-- what each subscriber got: for each publisher, the numbers in arrival order
local function tally(subs)
	local result = {}
	for i, s in ipairs(subs) do
		local got = skynet.call(s, "lua", "got")
		local by = {}
		for _, r in ipairs(got) do
			local key = r[3] .. "@" .. skynet.address(r[2])
			by[key] = by[key] or {}
			table.insert(by[key], r[4])
			if r[4] == 1 or r[5] then
				T.eq(r[5] and #r[5], 100000, "the large value")
			end
		end
		result[i] = by
	end
	return result
end

local function count_all(subs)
	local n = 0
	for _, s in ipairs(subs) do
		n = n + skynet.call(s, "lua", "summary")
	end
	return n
end

-- waits until subs got `expect` messages in all, then a little more
local function settle(subs, expect, what)
	for _ = 1, 500 do
		if count_all(subs) >= expect then
			break
		end
		skynet.sleep(1)
	end
	skynet.sleep(20) -- anything extra would arrive now
	T.eq(count_all(subs), expect, what .. ": messages received")
end

-- every subscriber got exactly first..last from each publisher, in order
local function check_runs(subs, runs, what)
	for i, t in ipairs(tally(subs)) do
		for key, range in pairs(runs) do
			local list = t[key] or {}
			T.eq(#list, range[2] - range[1] + 1, string.format("%s: subscriber %d, %s count", what, i, key))
			for k, v in ipairs(list) do
				if v ~= range[1] + k - 1 then
					error(string.format("%s: subscriber %d, %s: got %s at %d", what, i, key, v, k))
				end
			end
		end
	end
end

local function concat(a, b)
	local all = {}
	table.move(a, 1, #a, 1, all)
	table.move(b, 1, #b, #all + 1, all)
	return all
end

local function drive()
	local node1 = harbor.queryname "mcnode1"
	local channel = skynet.call(node1, "lua", "new")
	T.eq(channel & 0xff, 1, "the channel id carries its home harbor")
	local remote_subs = skynet.call(node1, "lua", "subscribers", channel, 3)
	local local_subs = command.subscribers(channel, 3)
	local all = concat(remote_subs, local_subs)

	-- both nodes publish at the same time
	local N = 200
	local here = skynet.self()
	local done = false
	local there
	skynet.fork(function()
		there = skynet.call(node1, "lua", "publish", channel, "one", 1, N)
		done = true
	end)
	command.publish(channel, "two", 1, N)
	while not done do
		skynet.sleep(1)
	end
	settle(all, 6 * 2 * N, "two publishers")
	local key1 = "one@" .. skynet.address(there)
	local key2 = "two@" .. skynet.address(here)
	check_runs(all, { [key1] = { 1, N }, [key2] = { 1, N } }, "two publishers")

	-- one subscriber here leaves; then all here leave (this node leaves the home)
	skynet.call(local_subs[1], "lua", "unsub")
	command.publish(channel, "two", N + 1, N + 10)
	skynet.call(node1, "lua", "publish", channel, "one", N + 1, N + 10)
	settle(all, 12 * N + 5 * 20, "after one unsubscribe")
	check_runs({ local_subs[1] }, { [key1] = { 1, N }, [key2] = { 1, N } }, "unsubscribed")
	check_runs({ local_subs[2], local_subs[3] }, { [key1] = { 1, N + 10 }, [key2] = { 1, N + 10 } }, "still here")
	skynet.call(local_subs[2], "lua", "unsub")
	skynet.call(local_subs[3], "lua", "unsub")
	command.publish(channel, "two", N + 11, N + 20)
	skynet.call(node1, "lua", "publish", channel, "one", N + 11, N + 20)
	settle(all, 12 * N + 5 * 20 + 3 * 20, "no subscriber here")
	check_runs(remote_subs, { [key1] = { 1, N + 20 }, [key2] = { 1, N + 20 } }, "node 1's subscribers")

	-- a new subscriber here enrols this node again
	local late = command.subscribers(channel, 1)
	command.publish(channel, "two", N + 21, N + 25)
	skynet.call(node1, "lua", "publish", channel, "one", N + 21, N + 25)
	settle(late, 10, "late subscriber")
	check_runs(late, { [key1] = { N + 21, N + 25 }, [key2] = { N + 21, N + 25 } }, "late subscriber")

	-- deleted from here (not its home): nobody gets anything more
	multicast.new({ channel = channel }):delete()
	skynet.sleep(10)
	local before = count_all(concat(all, late))
	command.publish(channel, "two", 1, 5)
	skynet.call(node1, "lua", "publish", channel, "one", 1, 5)
	local extra = command.subscribers(channel, 1) -- subscribing to a deleted channel
	skynet.call(node1, "lua", "publish", channel, "one", 6, 7)
	skynet.sleep(30)
	T.eq(count_all(concat(all, late)), before, "nothing after delete")
	T.eq(count_all(extra), 0, "a deleted channel has no subscribers")

	-- a channel made here, a subscriber on node 1, a publisher on node 1
	local mine = command.new()
	T.eq(mine & 0xff, id, "this node's channel")
	local far = skynet.call(node1, "lua", "subscribers", mine, 1)
	local near = command.subscribers(mine, 1)
	skynet.call(node1, "lua", "publish", mine, "one", 1, 20)
	command.publish(mine, "two", 1, 20)
	local both = concat(far, near)
	settle(both, 80, "channel of node 2")
	check_runs(both, { [key1] = { 1, 20 }, [key2] = { 1, 20 } }, "channel of node 2")
	command.delete(mine)

	for _, s in ipairs(concat(concat(all, late), concat(extra, both))) do
		skynet.kill(s)
	end
	T.eq(command.live(), 0, "packages freed here")
	T.eq(skynet.call(node1, "lua", "live"), 0, "packages freed on node 1")
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(assert(command[cmd], cmd)(...))
	end)
	harbor.globalname("mcnode" .. id)
	skynet.error("MC NODE READY " .. id)
	if skynet.getenv "mc_driver" then
		skynet.fork(function()
			local ok, err = pcall(drive)
			skynet.error(ok and "TEST PASS" or ("TEST FAIL " .. tostring(err)))
			skynet.abort()
		end)
	end
end)
