-- The first Lua service: starts the launcher, the service manager and the
-- config's `start` service (default "main"), then exits.  A failure here
-- leaves no usable node, so it stops the node with exit status 1.
local skynet = require "skynet"
local c = require "skynet.core"
require "skynet.manager"

local function fail(fmt, ...)
	skynet.error(string.format(fmt, ...))
	c.command("ABORT", "1")
	skynet.exit()
end

skynet.start(function()
	local launcher = skynet.launch("snlua", "launcher")
	if launcher == nil then
		return fail("error: cannot launch the launcher")
	end
	skynet.name(".launcher", launcher)

	local harbor_id = tonumber(skynet.getenv "harbor" or 0)
	if harbor_id ~= 0 then
		skynet.error(string.format("harbor %d: this node runs standalone (no master)", harbor_id))
	end

	local ok, err = pcall(skynet.newservice, "service_mgr")
	if not ok then
		return fail("error: cannot start service_mgr: %s", err)
	end
	local start = skynet.getenv "start" or "main"
	ok, err = pcall(skynet.newservice, start)
	if not ok then
		return fail("error: cannot start the start service %s: %s", start, err)
	end
	skynet.exit()
end)
