-- Write gathering for the cluster services (clustersender, clusteragent):
-- a small frame is written at once when no other message waits for the
-- service; else it is kept with the frames those messages bring, and all
-- are written together once the messages queued now are handled (a
-- timeout of 0 queues behind them): one write, one wakeup of the peer, for
-- many.
local skynet = require "skynet"

-- write(data, n): writes the n kept frames, joined into data
return function(write)
	local frames, n = {}, 0
	local gather = {}

	-- writes what was kept, now
	function gather.flush()
		if n == 0 then
			return
		end
		local data = n == 1 and frames[1] or table.concat(frames, "", 1, n)
		local count = n
		frames, n = {}, 0
		write(data, count)
	end

	-- keeps frame and answers true; false when nothing waits for the
	-- service: the caller writes the frame itself, at once
	function gather.add(frame)
		if n == 0 and skynet.stat "mqlen" == 0 then
			return false
		end
		n = n + 1
		frames[n] = frame
		if n == 1 then
			skynet.timeout(0, gather.flush)
		end
		return true
	end

	return gather
end
