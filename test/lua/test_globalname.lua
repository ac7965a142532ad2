-- Global names on a lone node (harbor 0, through cdummy and the harbor
-- service): skynet.register/name without a dot, calls and sends by global
-- name, skynet.harbor.queryname (waiting for a late name), bad names, and
-- handles of other harbors, which a lone node cannot reach.
local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"
local T = require "testlib"

T.run(function()
	local svc = skynet.newservice("echo_svc")
	skynet.name("echo", svc)
	T.eq(skynet.call("echo", "lua", "echo", "hi"), "hi", "call by global name")
	T.eq(harbor.queryname("echo"), svc, "queryname")
	T.eq(harbor.queryname(".launcher"), skynet.localname(".launcher"), "queryname of a local name")
	T.eq(skynet.localname("echo"), nil, "a global name is not a local one")

	-- a send and a query made before the name exists wait for it
	local late = skynet.newservice("echo_svc")
	local query = T.started(harbor.queryname, "late")
	skynet.send("late", "lua", "inc", 5)
	skynet.sleep(5)
	skynet.name("late", late)
	local ok, h = query(300, "queryname of a late name")
	T.ok(ok and h == late, "the late name's handle")
	T.eq(skynet.call("late", "lua", "count"), 5, "the send that waited for the name")

	skynet.register("tester")
	T.eq(harbor.queryname("tester"), skynet.self(), "skynet.register without a dot")
	T.raises("invalid global name", skynet.name, string.rep("n", 16), svc)
	T.raises("invalid global name", skynet.register, "123")
	T.raises(nil, skynet.call, string.rep("x", 20), "lua", "echo")
	-- another harbor's handle: fails at once on a lone node
	local t0 = skynet.now()
	T.raises(nil, skynet.call, 0x05000010, "lua", "echo", 1)
	T.ok(skynet.now() - t0 < 50, "at once")
	T.raises(nil, harbor.connect, 3)
	harbor.link(3) -- returns: nothing to watch on a lone node
end)
