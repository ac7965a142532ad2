-- Started by test/sh/test_node_errorlog.sh: provokes a handler error and
-- failed launches and an overloaded queue; the script checks what the log says about them.
local skynet = require "skynet"
local T = require "testlib"

T.run(function()
	local svc = skynet.newservice("echo_svc")
	T.raises(nil, skynet.call, svc, "lua", "fail", "handler-error-marker-7731")
	T.eq(skynet.call(svc, "lua", "echo", 1), 1, "service alive after the error")
	T.raises(nil, skynet.newservice, "missing-service-marker")
	T.raises(nil, skynet.newservice, "start_error_svc")
	-- a queue that grows past the warning threshold while its service is busy
	skynet.send(svc, "lua", "busy", 300)
	for i = 1, 5000 do
		skynet.send(svc, "lua", "inc", i)
	end
	T.eq(skynet.call(svc, "lua", "count"), 5000 * 5001 // 2, "all queued messages handled")
	-- the bytes of a message are logged as they are, zeros included
	skynet.error("nul-marker A\0B")
	skynet.error("nul-marker", "C\0D", 7)
	skynet.sleep(5)
end)
