-- The node of test/sh/test_net_owner_exit.sh: a debug console on
-- console_port, and a "kill" command (skynet.kill from a service that is
-- not the launcher).  Services holding sockets are started from the console.
local skynet = require "skynet"
require "skynet.manager"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, address)
		assert(cmd == "kill", "unknown command")
		skynet.kill(address)
		skynet.ret(skynet.pack(true))
	end)
	skynet.register ".sockmain"
	skynet.newservice("debug_console", tonumber(skynet.getenv "console_port"))
	print "SOCKOWNER READY"
end)
