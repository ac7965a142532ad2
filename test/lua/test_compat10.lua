-- skynet 1.0's module names (lualib/compat10) load the module of today's
-- name, the very same table; compat10.mongo is not provided and says so.
local skynet = require "skynet"
local T = require "testlib"

local NAMES = {
	cluster = "skynet.cluster", crypt = "skynet.crypt", datacenter = "skynet.datacenter",
	dns = "skynet.dns", memory = "skynet.memory", mqueue = "skynet.mqueue",
	multicast = "skynet.multicast", mysql = "skynet.db.mysql", netpack = "skynet.netpack",
	profile = "skynet.profile", redis = "skynet.db.redis", sharedata = "skynet.sharedata",
	sharemap = "skynet.sharemap", snax = "skynet.snax", socket = "skynet.socket",
	socketchannel = "skynet.socketchannel", socketdriver = "skynet.socketdriver",
	stm = "skynet.stm",
}

T.run(function()
	local n = 0
	for old, new in pairs(NAMES) do
		local m = require("compat10." .. old)
		T.ok(m ~= nil and m ~= true, "compat10." .. old .. " returns a module")
		T.ok(rawequal(m, require(new)), "compat10." .. old .. " is " .. new)
		n = n + 1
	end
	T.eq(n, 18, "names checked")
	T.raises("'compat10.mongo' is a skynet module this framework does not provide yet", require, "compat10.mongo")
	skynet.error("compat10 names checked: " .. n)
end)
