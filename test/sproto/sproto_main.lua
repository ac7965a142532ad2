-- The sproto example node: a protocol loader, a key-value store and a
-- watchdog whose gate listens on $SPROTO_PORT.
local skynet = require "skynet"

skynet.start(function()
	skynet.uniqueservice("sproto_protoloader")
	skynet.newservice("simpledb")
	local watchdog = skynet.newservice("sproto_watchdog")
	local addr, port = skynet.call(watchdog, "lua", "start", {
		port = tonumber(skynet.getenv "sproto_port"),
		maxclient = 16,
		nodelay = true,
	})
	skynet.error("sproto example: listen on " .. addr .. ":" .. port)
	skynet.exit()
end)
