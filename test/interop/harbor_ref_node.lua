-- The reference skynet's node in harbor_ref.sh: registers the global name
-- "refnode", answers ping/echo/relay, and checks the way back: it calls our
-- node's "oursnode" by name and by handle and uses the datacenter.
local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"
local datacenter = require "skynet.datacenter"
local peer = require "harbor_peer"

local command = peer.commands()

function command.check()
	local h = harbor.queryname("oursnode")
	local a = skynet.call("oursnode", "lua", "ping")
	local b = skynet.call(h, "lua", "ping")
	local big = string.rep("r", 300000)
	assert(skynet.call(h, "lua", "echo", big) == big, "big value back from our node")
	datacenter.set("ref", "seen", h)
	return a, b, skynet.harbor(h), datacenter.get("ours", "value")
end

skynet.start(function()
	peer.serve(command)
	skynet.register("refnode")
	skynet.error("REF NODE READY")
end)
