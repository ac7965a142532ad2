-- The start of both nodes of test/sh/test_trace_cluster.sh.  Node "tb"
-- serves a trace_hop as "@hop"; node "ta" makes two traced calls to it
-- (one small, one big enough to travel in parts) and prints the trace tag
-- the hop saw on the far side.
local skynet = require "skynet"
local cluster = require "skynet.cluster"

local function client()
	skynet.dispatch("lua", function()
		skynet.trace("cluster")
		local small = cluster.call("tb", "@hop", "hop")
		local big = cluster.call("tb", "@hop", "hop", nil, string.rep("x", 100000))
		skynet.retpack(skynet.tracetag(), small, big)
	end)
	local mine, small, big = skynet.call(skynet.self(), "lua")
	print(string.format("TAGS %s %s %s", mine, small, big))
end

skynet.start(function()
	local self = skynet.getenv "cluster_self"
	if self == "tb" then
		cluster.register("hop", skynet.newservice("trace_hop"))
		cluster.open(self)
		print("trace node ready")
	else
		client()
	end
end)
