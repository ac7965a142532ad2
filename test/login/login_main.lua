-- test_snax_login's node: a login server (login_logind) and a message gate
-- (login_gated) on the ports of the config keys login_port and gate_port
local skynet = require "skynet"

skynet.start(function()
	local logind = skynet.newservice("login_logind")
	local gated = skynet.newservice("login_gated", logind)
	skynet.call(gated, "lua", "open", {
		address = "127.0.0.1",
		port = tonumber(skynet.getenv "gate_port"),
		maxclient = 64,
		servername = "sample",
	})
	skynet.error("login fixture ready")
end)
