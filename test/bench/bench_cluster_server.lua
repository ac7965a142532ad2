-- The server node of test/bench/bench_cluster.sh: bench_cluster_sink
-- registered as "@sink" (with an RSS sampler of this node), listening as
-- the node named by cluster_self.
local skynet = require "skynet"
local cluster = require "skynet.cluster"

skynet.start(function()
	local sink = skynet.newservice("bench_cluster_sink", skynet.newservice("bench_cluster_rss"))
	cluster.register("sink", sink)
	cluster.open(skynet.getenv "cluster_self")
	skynet.error("BENCH_READY")
end)
