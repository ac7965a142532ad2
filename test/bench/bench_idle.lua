-- An empty main service: test/bench.sh measures the idle node's resident
-- memory from outside once it has settled, then stops it with SIGTERM.
local skynet = require "skynet"

skynet.start(function()
	skynet.error("BENCH_READY")
end)
