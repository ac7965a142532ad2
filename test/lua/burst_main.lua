-- Started by test/sh/test_node_memory_return.sh: "BASE", then a service
-- that fills ~300 MB with parked coroutines and strings ("BURST"), which is
-- then killed ("KILLED"); the node stays idle after.
local skynet = require "skynet"
require "skynet.manager"

local mode = ...

if mode == "burst" then
	skynet.start(function()
		skynet.dispatch("lua", function()
			local keep = {}
			for i = 1, 150000 do
				local co = coroutine.create(function(s) coroutine.yield(s) end)
				coroutine.resume(co, string.rep("x", 1500) .. i)
				keep[i] = co
			end
			_G.keep = keep
			skynet.retpack(#keep)
		end)
	end)
	return
end

skynet.start(function()
	skynet.sleep(50)
	skynet.error "BASE"
	skynet.sleep(50)
	local burst = skynet.newservice(SERVICE_NAME, "burst")
	skynet.call(burst, "lua")
	skynet.error "BURST"
	skynet.sleep(100)
	skynet.kill(burst)
	skynet.error "KILLED"
end)
