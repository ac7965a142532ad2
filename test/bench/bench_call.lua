-- Sequential skynet.call round trips to an echo service.
local skynet = require "skynet"
local B = require "benchlib"

local N = 300000

B.run(function()
	local echo = skynet.newservice("bench_echo_service")
	local t0 = skynet.hpc()
	for i = 1, N do
		local r = skynet.call(echo, "lua", i)
		if r ~= i then
			error(string.format("call %d answered %s", i, tostring(r)))
		end
	end
	B.report("call_round_trips_per_s", N / B.since(t0))
end)
