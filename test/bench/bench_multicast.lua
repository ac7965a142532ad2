-- skynet.multicast: one publisher, 1,000 subscriber services on one
-- channel; MESSAGES messages (a sequence number and 64 bytes of text) are
-- published back to back.  Figure: deliveries (messages x subscribers) per
-- second, from the first publish until every subscriber has its last
-- message; each subscriber checks it got every message once, in order.
local skynet = require "skynet"
local multicast = require "skynet.multicast"
local B = require "benchlib"

local SUBSCRIBERS = 1000
local MESSAGES = 200

local finished, all_in_order, waiting = 0, true, nil

skynet.dispatch("lua", function(_, _, cmd, in_order)
	assert(cmd == "done", cmd)
	finished = finished + 1
	all_in_order = all_in_order and in_order
	if finished == SUBSCRIBERS and waiting then
		skynet.wakeup(waiting)
	end
end)

B.run(function()
	local ch = multicast.new()
	for _ = 1, SUBSCRIBERS do
		local s = skynet.newservice "mc_subscriber"
		skynet.call(s, "lua", "sub", ch.channel, MESSAGES, skynet.self())
	end
	local text = string.rep("x", 64)
	local t0 = skynet.hpc()
	for i = 1, MESSAGES do
		ch:publish(i, text)
	end
	if finished < SUBSCRIBERS then
		waiting = coroutine.running()
		skynet.wait(waiting)
	end
	local seconds = B.since(t0)
	assert(all_in_order, "a subscriber missed a message or got one out of order")
	B.report("multicast_1000_delivered_per_s", MESSAGES * SUBSCRIBERS / seconds)
end)
