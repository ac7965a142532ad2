-- Times a function called in a loop: the loop count doubles until a
-- batch takes at least a quarter of a second, then that batch gives the
-- seconds per call.  Used by the codec benchmarks (bench_sproto, bench_crypt).
local skynet = require "skynet"

local MIN_SECONDS = 0.25

return function(fn)
	local n = 1
	while true do
		local t0 = skynet.hpc()
		for _ = 1, n do
			fn()
		end
		local seconds = (skynet.hpc() - t0) / 1e9
		if seconds >= MIN_SECONDS then
			return seconds / n
		end
		n = n * 2
	end
end
