-- The first Lua service: starts the launcher, the harbor services (.cslave,
-- and cmaster and datacenterd where they belong), the service manager and
-- the config's `start` service (default "main"), then exits.  A failure here
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

	-- .cslave keeps the global names: cdummy on a lone node (harbor 0),
	-- cslave in a harbor network, whose master runs where `standalone` is set
	local harbor_id = tonumber(skynet.getenv "harbor" or 0)
	local standalone = skynet.getenv "standalone"
	local slave_service = "cslave"
	if harbor_id == 0 then
		if standalone then
			return fail("error: standalone is for harbor mode; harbor is 0")
		end
		standalone = "true"
		skynet.setenv("standalone", standalone)
		slave_service = "cdummy"
	elseif standalone then
		local ok, err = pcall(skynet.newservice, "cmaster")
		if not ok then
			return fail("error: cannot start the harbor master: %s", err)
		end
	end
	local ok, slave = pcall(skynet.newservice, slave_service)
	if not ok then
		return fail("error: cannot start %s: %s", slave_service, slave)
	end
	skynet.name(".cslave", slave)
	if standalone then
		skynet.name("DATACENTER", skynet.newservice "datacenterd")
	end

	local err
	ok, err = pcall(skynet.newservice, "service_mgr")
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
