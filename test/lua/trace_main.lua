-- The trace test node's start (test/sh/test_trace.sh): traced requests
-- through trace_hop services, one phase at a time, each phase's log lines
-- between "PHASE name" markers; each phase runs as a request to this
-- service, so that its trace tag ends with it.
local skynet = require "skynet"

local B, C, B2 -- B calls C; B2 (traceproto on) calls C

local PHASE = {}

-- skynet.trace starts a tag; it follows the call through B to C and back
function PHASE.chain()
	skynet.trace("chain")
	local tag = skynet.tracetag()
	assert(tag == string.format(":%08x-1", skynet.self()), tostring(tag))
	local leaf_tag = skynet.call(B, "lua", "hop", C)
	assert(leaf_tag == tag, "the leaf saw tag " .. tostring(leaf_tag))
end

-- C never traces "lua": it neither logs nor keeps the tag
function PHASE.off()
	skynet.trace("off")
	local leaf_tag = skynet.call(B, "lua", "hop", C)
	assert(leaf_tag == false, "the leaf saw tag " .. tostring(leaf_tag))
end

-- B2 traces every "lua" request itself: a tag of its own, passed to C
function PHASE.proto()
	assert(skynet.tracetag() == nil)
	local leaf_tag = skynet.call(B2, "lua", "hop", C)
	assert(leaf_tag == string.format(":%08x-1", B2), "the leaf saw tag " .. tostring(leaf_tag))
end

-- a tag from elsewhere (as clusteragent gets one from a remote node)
function PHASE.tracecall()
	local msg, sz = skynet.tracecall("(remote-here-1):00000042-7", C, "lua", skynet.pack("hop"))
	assert(skynet.unpack(msg, sz) == "(remote-here-1):00000042-7")
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, name)
		PHASE[name]()
		skynet.retpack(true)
	end)
	C = skynet.newservice("trace_hop")
	B = skynet.newservice("trace_hop")
	B2 = skynet.newservice("trace_hop")
	skynet.call(B2, "lua", "proto", true)
	skynet.error(string.format("SERVICES A=%08x B=%08x C=%08x B2=%08x", skynet.self(), B, C, B2))
	for _, name in ipairs { "chain", "off", "proto", "tracecall" } do
		if name == "off" then
			skynet.call(C, "lua", "proto", false)
		elseif name == "proto" then
			skynet.call(C, "lua", "proto", nil)
		end
		skynet.error("PHASE " .. name)
		skynet.call(skynet.self(), "lua", name)
	end
	skynet.error("PHASE done")
end)
