-- Calls from 4 threads to 4 services at once: every answer arrives, and the
-- services' CPU accounting stays sane while their queues move between
-- workers (under `make SANITIZE=thread` this is the data race check for
-- the batch accounting in skynet_server.c).
local skynet = require "skynet"
local T = require "testlib"

local CALLS = 5000

T.run(function()
	local services = {}
	for i = 1, 4 do
		services[i] = skynet.newservice("echo_svc")
	end
	local done = {}
	for i = 1, 4 do
		done[i] = T.started(function()
			for n = 1, CALLS do
				local svc = services[(n + i) % 4 + 1]
				T.eq(skynet.call(svc, "lua", "echo", n), n, "echo")
			end
			return true
		end)
	end
	for i = 1, 4 do
		local ok, err = done[i](6000, "caller " .. i)
		T.ok(ok, tostring(err))
	end
	for i = 1, 4 do
		local cpu = skynet.call(services[i], "debug", "STAT").cpu
		T.ok(cpu and cpu >= 0 and cpu < 60, "cpu of service " .. i .. ": " .. tostring(cpu))
	end
end)
