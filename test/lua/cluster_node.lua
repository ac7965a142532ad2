-- The start service of a cluster test node: a cluster_peer registered as
-- "@peer" and ".peer", listening as the node named by the config key
-- cluster_self.
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"

skynet.start(function()
	local peer = skynet.newservice("cluster_peer")
	skynet.name(".peer", peer)
	cluster.register("peer", peer)
	local self = skynet.getenv "cluster_self"
	cluster.open(self)
	print("cluster node " .. self .. " ready")
end)
