-- One-way skynet.send of ("m", i, "x") from this service to another, timed
-- from the first send until the receiver has counted them all.
local skynet = require "skynet"
local B = require "benchlib"

local N = 1000000

B.run(function()
	local sink = skynet.newservice("bench_sink")
	skynet.send(sink, "lua", "expect", N)
	local t0 = skynet.hpc()
	for i = 1, N do
		skynet.send(sink, "lua", "m", i, "x")
	end
	local count, last_at = skynet.call(sink, "lua", "done")
	assert(count == N, string.format("receiver counted %d of %d messages", count, N))
	B.report("send_msgs_per_s", N / ((last_at - t0) / 1e9))
end)
