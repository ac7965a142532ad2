-- The receiver of test/sh/test_cluster_burst.sh: one-way "tick", stream,
-- i [, pad] messages must come numbered 1, 2, 3... in each stream (pad, when
-- sent, 1000 bytes); "report", stream answers how many came in it and the
-- first one out of order (nil when none was).
local skynet = require "skynet"

local received = {}  -- stream -> count
local first_wrong = {} -- stream -> what went wrong first

local function tick(stream, i, pad)
	local n = (received[stream] or 0) + 1
	received[stream] = n
	if not first_wrong[stream] and (i ~= n or (pad and #pad ~= 1000)) then
		first_wrong[stream] = string.format("message %d came as number %s", n, tostring(i))
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, stream, ...)
		if cmd == "tick" then
			tick(stream, ...)
		elseif cmd == "report" and session ~= 0 then
			skynet.retpack(received[stream] or 0, first_wrong[stream])
		end
	end)
end)
