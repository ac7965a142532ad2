-- Helpers shared by the benchmark services.  A benchmark is the node's
-- `start` service: B.run runs its body once the service has started, prints
-- each figure as "BENCH <name> <value>" for test/bench.sh to collect, and
-- aborts the node.  A failed check prints "BENCH_ERROR <why>" instead.
local skynet = require "skynet"
require "skynet.manager"

local B = {}

function B.report(name, value)
	skynet.error(string.format("BENCH %s %.6g", name, value))
end

-- seconds elapsed since t0, a skynet.hpc() reading
function B.since(t0)
	return (skynet.hpc() - t0) / 1e9
end

-- resident set size of this process in KB, from /proc/self/status
function B.rss_kb()
	local f = assert(io.open("/proc/self/status"))
	local status = f:read("a")
	f:close()
	return tonumber(status:match("VmRSS:%s*(%d+)%s*kB"))
end

function B.run(body)
	skynet.start(function()
		-- fork, so the launcher sees this service started before the work
		skynet.fork(function()
			local ok, err = xpcall(body, debug.traceback)
			if not ok then
				skynet.error("BENCH_ERROR " .. tostring(err))
			end
			skynet.abort()
		end)
	end)
end

return B
