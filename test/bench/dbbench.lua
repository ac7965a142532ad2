-- Shared by the database benchmarks: work spread over coroutines that
-- share one connection.
local skynet = require "skynet"

local D = {}

-- runs per(i) for i = 1..n over `workers` coroutines (worker w takes
-- i = w, w + workers, ...); returns the seconds all of them took.  The
-- first error any of them meets is raised once all have stopped.
function D.spread(workers, n, per)
	local done, failure = 0, nil
	local waiter = coroutine.running()
	local t0 = skynet.hpc()
	for w = 1, workers do
		skynet.fork(function()
			local ok, err = pcall(function()
				for i = w, n, workers do
					per(i)
				end
			end)
			if not ok and not failure then
				failure = err
			end
			done = done + 1
			if done == workers then
				skynet.wakeup(waiter)
			end
		end)
	end
	skynet.wait(waiter)
	local seconds = (skynet.hpc() - t0) / 1e9
	if failure then
		error(failure)
	end
	return seconds
end

return D
