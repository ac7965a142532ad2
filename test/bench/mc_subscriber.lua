-- A subscriber for bench_multicast: "sub" channel, count, publisher
-- subscribes and expects count messages numbered 1, 2, 3, ...; after the
-- last it tells the publisher "done" and whether every one came once, in
-- order.
local skynet = require "skynet"
local mc = require "skynet.multicast"

local ch

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, channel, count, publisher)
		assert(cmd == "sub", cmd)
		local next_seq, in_order = 1, true
		ch = mc.new {
			channel = channel,
			dispatch = function(_, _, seq)
				in_order = in_order and seq == next_seq
				next_seq = next_seq + 1
				if seq == count then
					skynet.send(publisher, "lua", "done", in_order and next_seq - 1 == count)
				end
			end,
		}
		ch:subscribe()
		skynet.retpack(true)
	end)
end)
