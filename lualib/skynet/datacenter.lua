-- skynet.datacenter: a tree of values shared by every node of a harbor
-- network (or the lone node), kept by datacenterd (DATACENTER).
local skynet = require "skynet"

local datacenter = {}

-- get(k1, k2, ...): the value at the path, or nil
function datacenter.get(...)
	return skynet.call("DATACENTER", "lua", "QUERY", ...)
end

-- set(k1, ..., kn, value): returns the old value
function datacenter.set(...)
	return skynet.call("DATACENTER", "lua", "UPDATE", ...)
end

-- wait(k1, k2, ...): the value at the path, waiting until it is set
function datacenter.wait(...)
	return skynet.call("DATACENTER", "lua", "WAIT", ...)
end

return datacenter
