-- skynet.multicast: channels, subscribers in other services, one shared
-- buffer per message, order, unsubscribe, delete, subscribers that die,
-- and every package freed (multicast.core's live count returns to 0)
local skynet = require "skynet"
require "skynet.manager"
local multicast = require "skynet.multicast"
local mc = require "skynet.multicast.core"
local T = require "testlib"

local function subscribers(n, ch, raw)
	local list = {}
	for i = 1, n do
		list[i] = skynet.newservice "mc_sub_svc"
		skynet.call(list[i], "lua", "sub", ch.channel, raw)
	end
	return list
end

local function wait_freed(what)
	for _ = 1, 300 do
		if mc.live() == 0 then
			return
		end
		skynet.sleep(1)
	end
	error(what .. ": " .. mc.live() .. " packages never freed")
end

local function kill_all(list)
	for _, s in ipairs(list) do
		skynet.kill(s)
	end
end

local function basic()
	local ch = multicast.new()
	T.eq(tostring(ch), string.format("[Multicast:%x]", ch.channel), "tostring")
	local subs = subscribers(10, ch)
	ch:publish("Hello World", 1, { x = 1 })
	skynet.sleep(5)
	for _, s in ipairs(subs) do
		local got = skynet.call(s, "lua", "got")
		T.eq(#got, 1, "one message")
		local r = got[1]
		T.eq(r[1], ch.channel, "the channel object")
		T.eq(r[2], skynet.self(), "the publisher as source")
		T.eq(r[3], "Hello World", "value 1")
		T.eq(r[4], 1, "value 2")
		T.eq(r[5].x, 1, "value 3")
	end
	wait_freed("basic")
	kill_all(subs)
	ch:delete()
end

local function one_buffer()
	local ch = multicast.new()
	local subs = subscribers(5, ch, true)
	ch:publish("shared")
	skynet.sleep(5)
	local address
	for _, s in ipairs(subs) do
		local got, buffers = skynet.call(s, "lua", "got")
		T.eq(got[1][3], "shared", "raw unpack delivers")
		address = address or buffers[1]
		T.eq(buffers[1], address, "every subscriber reads the same buffer")
	end
	wait_freed("one buffer")
	kill_all(subs)
	ch:delete()
end

local function many_in_order(n, messages)
	local ch = multicast.new()
	local subs = subscribers(n, ch)
	for i = 1, messages do
		ch:publish(i)
	end
	for _, s in ipairs(subs) do
		local count, ordered
		for _ = 1, 500 do
			count, ordered = skynet.call(s, "lua", "summary")
			if count >= messages then
				break
			end
			skynet.sleep(1)
		end
		T.eq(count, messages, "every subscriber gets every message once")
		T.eq(ordered, true, "in order")
	end
	wait_freed("many")
	kill_all(subs)
	ch:delete()
end

local function unsubscribe_and_delete()
	local ch = multicast.new()
	local a, b = table.unpack(subscribers(2, ch))
	ch:publish(1)
	skynet.call(a, "lua", "unsub")
	ch:publish(2)
	skynet.sleep(5)
	T.eq(skynet.call(a, "lua", "summary"), 1, "nothing after unsubscribe")
	T.eq(skynet.call(b, "lua", "summary"), 2, "the other one still receives")
	-- the publisher subscribes to its own channel too
	local mine = {}
	local own = multicast.new { channel = ch.channel, dispatch = function(_, _, v) mine[#mine + 1] = v end }
	own:subscribe()
	own:subscribe() -- twice is once
	ch:publish(3)
	skynet.sleep(5)
	T.eq(#mine, 1, "a subscriber in the publisher")
	T.eq(mine[1], 3, "its value")
	own:unsubscribe()
	own:unsubscribe()
	ch:delete()
	T.raises("channel deleted", ch.publish, ch, 4)
	own:publish(5) -- the channel id is gone: nobody gets it, nothing leaks
	skynet.sleep(5)
	T.eq(skynet.call(b, "lua", "summary"), 3, "nothing after delete")
	wait_freed("delete")
	kill_all { a, b }
end

local function dying_subscribers()
	local ch = multicast.new()
	local subs = subscribers(4, ch)
	-- one dies idle: the next publish finds it gone
	skynet.kill(subs[1])
	-- one dies with messages waiting in its queue
	skynet.send(subs[2], "lua", "stall", 0.2)
	for i = 1, 20 do
		ch:publish(i)
	end
	skynet.kill(subs[2])
	-- one exits by itself with the messages queued
	skynet.send(subs[3], "debug", "EXIT")
	ch:publish(21)
	wait_freed("dying subscribers")
	local count = skynet.call(subs[4], "lua", "summary")
	T.eq(count, 21, "the live subscriber got everything")
	kill_all { subs[4] }
	ch:delete()
end

local function bad_input()
	local pkg = mc.pack(skynet.pack("x"))
	T.raises("out of range", mc.bind, pkg, 0)
	mc.bind(pkg, 2)
	T.raises("more than once", mc.bind, pkg, 1)
	T.raises("Can't free a bound", mc.free, pkg)
	T.eq(mc.release(pkg), false, "one reference left")
	T.eq(mc.release(pkg), true, "the last one frees")
	T.raises("userdata expected", mc.pack, "x", 1)
	T.raises("userdata expected", mc.release, {})
	local m, msz = skynet.pack(1)
	T.raises("Invalid multicast package size", mc.unpack, m, msz)
	skynet.trash(m, msz)
	local p2 = mc.pack(skynet.pack("y"))
	T.raises("out of range", mc.header, p2, -1, 0)
	mc.free(p2)
	-- forged multicast messages do not reach the subscriber's dispatch
	local ch = multicast.new()
	local s = subscribers(1, ch)[1]
	local fake = mc.pack(skynet.pack("forged"))
	skynet.redirect(s, skynet.self(), "multicast", 1, mc.header(fake, ch.channel, skynet.self()))
	skynet.redirect(s, skynet.self(), "multicast", 1, "short")
	ch:publish(1)
	skynet.sleep(5)
	T.eq(skynet.call(s, "lua", "summary"), 1, "the subscriber survives forged messages")
	mc.free(fake)
	wait_freed("bad input")
	kill_all { s }
	ch:delete()
end

T.run(function()
	basic()
	one_buffer()
	unsubscribe_and_delete()
	dying_subscribers()
	bad_input()
	many_in_order(tonumber(skynet.getenv "mc_subscribers") or 1000, 20)
end)
