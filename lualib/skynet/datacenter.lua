-- skynet.datacenter: a tree of values shared by every node of a harbor
-- network (or the lone node), kept by datacenterd, the global name DATACENTER.
--   get(k1, k2, ...)         the value at the path, or nil
--   set(k1, ..., kn, value)  sets it; returns the old value
--   wait(k1, k2, ...)        the value at the path, once it is set
local skynet = require "skynet"

local function request(command)
	return function(...)
		return skynet.call("DATACENTER", "lua", command, ...)
	end
end

return {
	get = request "QUERY",
	set = request "UPDATE",
	wait = request "WAIT",
}
