-- Receiver for bench_send: counts ("m", i, "x") messages, checking that they
-- arrive complete and in order, and notes when the last expected one arrived.
local skynet = require "skynet"

local count = 0
local expected
local last_at

local function on_message(i, x)
	count = count + 1
	if i ~= count or x ~= "x" then
		error(string.format("message %d arrived as (%s, %s)", count, tostring(i), tostring(x)))
	end
	if count == expected then
		last_at = skynet.hpc()
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, a, b)
		if cmd == "m" then
			on_message(a, b)
		elseif cmd == "expect" then
			expected = a
		elseif cmd == "done" then
			-- every send was queued before this call, so all have been counted
			skynet.retpack(count, last_at)
		end
	end)
end)
