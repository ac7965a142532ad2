-- The receiving node of test/sh/test_cluster_burst.sh: cluster_burst_sink
-- registered as "@sink" and a watcher of this node's RSS as "@watch",
-- listening as the node named by cluster_self.
local skynet = require "skynet"
local cluster = require "skynet.cluster"

skynet.start(function()
	cluster.register("sink", skynet.newservice("cluster_burst_sink"))
	cluster.register("watch", skynet.newservice("cluster_burst_watch"))
	local self = skynet.getenv "cluster_self"
	cluster.open(self)
	print("cluster node " .. self .. " ready")
end)
