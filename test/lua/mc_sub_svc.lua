-- a multicast subscriber for test_multicast: "sub" channel [raw] subscribes
-- (raw: a custom unpack that records the buffer's address), "got" returns
-- what arrived, "unsub" unsubscribes, "stall" n blocks the service for n
-- seconds of CPU (messages pile up in its queue)
local skynet = require "skynet"
local mc = require "skynet.multicast"

local received = {}
local buffers = {}
local ch

local command = {}

function command.sub(channel, raw)
	ch = mc.new {
		channel = channel,
		unpack = raw and function(msg, sz)
			buffers[#buffers + 1] = tostring(msg)
			return skynet.unpack(msg, sz)
		end,
		dispatch = function(c, source, ...)
			received[#received + 1] = { c.channel, source, ... }
		end,
	}
	ch:subscribe()
end

function command.unsub()
	ch:unsubscribe()
end

function command.got()
	return received, buffers
end

-- how many arrived, and whether their first values ran 1, 2, 3, ...
function command.summary()
	for i, r in ipairs(received) do
		if r[3] ~= i then
			return #received, false
		end
	end
	return #received, true
end

function command.stall(seconds)
	local t0 = os.clock()
	while os.clock() - t0 < seconds do end
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(command[cmd](...))
	end)
end)
