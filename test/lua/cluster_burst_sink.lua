-- The receiver of test/sh/test_cluster_burst.sh: one-way "tick", stream,
-- i [, pad] messages must come numbered 1, 2, 3... in each stream (pad, when
-- sent, 1000 bytes); "report", stream answers how many came in it and the
-- first one out of order (nil when none was).  "slowtick" is "tick" for a
-- service that takes a while over each message (some 20 us of work).
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

local work = 0
local function slowly()
	for i = 1, 2000 do
		work = work + i
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, stream, ...)
		if cmd == "tick" then
			tick(stream, ...)
		elseif cmd == "slowtick" then
			slowly()
			tick(stream, ...)
		elseif cmd == "report" and session ~= 0 then
			skynet.retpack(received[stream] or 0, first_wrong[stream])
		end
	end)
end)
