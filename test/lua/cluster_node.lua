-- The start service of a cluster test node: a cluster_peer registered as
-- "@peer" and ".peer", the snax service pingsvc, listening as the node
-- named by the config key cluster_self.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"

skynet.start(function()
	local self = skynet.getenv "cluster_self"
	local peer = skynet.newservice("cluster_peer")
	skynet.name(".peer", peer)
	cluster.register("peer", peer)
	require("skynet.snax").uniqueservice("pingsvc", 0, "on", self)
	cluster.open(self)
	print("cluster node " .. self .. " ready")
end)
