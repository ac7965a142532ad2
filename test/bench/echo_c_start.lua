-- The start service of test/bench/config_echo_c.lua: launches the C echo
-- service (test/bench/service_echo_c.c) on $ECHO_PORT, which prints
-- ECHO_READY once it listens.
local skynet = require "skynet"
require "skynet.manager"

skynet.start(function()
	local port = assert(skynet.getenv "echo_port", "set ECHO_PORT")
	assert(skynet.launch("echo_c", port), "echo_c did not start")
end)
