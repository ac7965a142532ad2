-- The global names kept by a node's ".cslave" (cslave in a harbor network,
-- cdummy on a lone node): name -> handle, the harbor C service told of each
-- name learnt, and QUERYNAME callers parked until their name is known.
local skynet = require "skynet"

local names = {}

-- the harbor C service and its .cslave exchange plain strings
function names.register_protocols()
	local function passthrough(...) return ... end
	skynet.register_protocol { name = "harbor", id = skynet.PTYPE_HARBOR, pack = passthrough, unpack = skynet.tostring }
	skynet.register_protocol { name = "text", id = skynet.PTYPE_TEXT, pack = passthrough, unpack = skynet.tostring }
end

local registry = {}
registry.__index = registry

-- harbor_service: the handle of the harbor C service, set once it is launched
function names.new()
	return setmetatable({ harbor_service = nil, handle = {}, waiters = {} }, registry)
end

function registry:get(name)
	return self.handle[name]
end

-- the harbor service learns that name is handle's
function registry:tell_harbor(name, handle)
	skynet.redirect(self.harbor_service, handle, "harbor", 0, "N " .. name)
end

-- records name, tells the harbor service and answers the callers waiting for it
function registry:learn(name, handle)
	self.handle[name] = handle
	self:tell_harbor(name, handle)
	local list = self.waiters[name]
	if list then
		self.waiters[name] = nil
		for _, response in ipairs(list) do
			response(true, handle)
		end
	end
end

-- REGISTER: a name is given once; a second claim is logged and ignored.
-- Returns true when handle got the name.
function registry:register(name, handle)
	local old = self.handle[name]
	if old then
		skynet.error(string.format("global name %s is already registered as :%08x", name, old))
		return false
	end
	self:learn(name, handle)
	return true
end

-- QUERYNAME: answers at once when the name is local (".x") or known;
-- otherwise parks the caller.  Returns true when the caller is the first
-- to wait for name (cslave then asks the master once).
function registry:query(name)
	if name:byte() == 46 then -- "."
		skynet.ret(skynet.pack(skynet.localname(name)))
		return false
	end
	local handle = self.handle[name]
	if handle then
		skynet.ret(skynet.pack(handle))
		return false
	end
	local list = self.waiters[name]
	local first = list == nil
	if first then
		list = {}
		self.waiters[name] = list
	end
	list[#list + 1] = skynet.response()
	return first
end

return names
