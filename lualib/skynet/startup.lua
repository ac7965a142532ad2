-- A service's start-up, run once by skynet.init_service: the skynet.init
-- functions and the start function, the launcher told how it went, then the
-- requests that came before the start function began replayed in order.
-- skynet.lua does not keep this module loaded: its code is collected once
-- the service is up.
return function(skynet, I, start, early)
	local skynet_require = require "skynet.require"
	local ok, err = xpcall(function()
		skynet_require.init_all()
		start()
		skynet_require.init_all()
	end, function(e)
		return debug.traceback(e, 2) -- the debug library is opened only here
	end)
	if not ok then
		err = I.error_text(err)
		skynet.error("init service failed: " .. err)
		skynet.send(".launcher", "lua", "ERROR", err)
		skynet.exit()
	else
		skynet.send(".launcher", "lua", "LAUNCHOK")
	end
	local self_co = coroutine.running()
	for _, m in ipairs(early) do
		local replayed, rerr = pcall(I.raw_dispatch_message, table.unpack(m, 1, 5))
		I.running_thread(self_co)
		if not replayed then
			skynet.error(I.error_text(rerr))
		end
	end
	-- the stacks and garbage of this start-up go once the message is done,
	-- this thread too: nothing refers to it once it is parked
	I.running_thread(false)
	I.c.trim()
end
