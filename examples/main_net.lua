-- main_net: the network example (examples/config_net.lua).  Starts the
-- key-value store, a watchdog with its gate, and an echo server.  Ports come
-- from the config: gate_port, echo_port and maxclient (examples/config_net.lua).
local skynet = require "skynet"

skynet.start(function()
	local gate_port = tonumber(skynet.getenv "gate_port") or 8888
	local echo_port = tonumber(skynet.getenv "echo_port") or 8889
	local maxclient = tonumber(skynet.getenv "maxclient") or 64
	skynet.newservice("simpledb")
	local watchdog = skynet.newservice("watchdog")
	skynet.call(watchdog, "lua", "start", {
		address = "127.0.0.1",
		port = gate_port,
		maxclient = maxclient,
		nodelay = true,
	})
	skynet.newservice("echo_server", echo_port, "127.0.0.1")
	skynet.error(string.format("main_net: gate on %d, echo on %d", gate_port, echo_port))
	skynet.exit()
end)
