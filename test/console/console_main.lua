-- Start service of the console test nodes: a debug console on the port
-- given by the config key console_port, and the services the tests poke.
local skynet = require "skynet"

skynet.start(function()
	local port = assert(tonumber(skynet.getenv "console_port"), "config needs console_port")
	skynet.newservice("debug_console", port)
	skynet.newservice "console_echo"
	skynet.newservice "console_hang"
	if skynet.getenv "console_stdin" then
		skynet.newservice "console"
	end
	skynet.error "CONSOLE READY"
end)
