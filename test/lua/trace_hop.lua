-- A hop of the trace tests (test/sh/test_trace.sh): "hop" calls the next
-- service given, or sleeps and answers with its own trace tag at the end
-- of the chain; "proto" sets skynet.traceproto for "lua".
local skynet = require "skynet"

local CMD = {}

function CMD.hop(next_hop)
	if next_hop then
		return skynet.call(next_hop, "lua", "hop")
	end
	skynet.sleep(1)
	return skynet.tracetag()
end

function CMD.proto(flag)
	skynet.traceproto("lua", flag)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.retpack(CMD[cmd](...))
	end)
end)
