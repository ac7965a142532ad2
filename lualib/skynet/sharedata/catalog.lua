-- The named documents a service owns (sharedatad, the datasheet service):
-- one current version (a skynet.sharedata.core id) per name, handed to
-- readers as skynet.sharedata.host says, and the readers waiting in
-- "monitor" for the next version.  Publishing a version drops the
-- catalog's reference to the one before, so that one is freed as soon as
-- its last reader has switched away from it.
--
-- The commands readers send (skynet.sharedata.reader speaks them):
--   query(name)        -> true, id of the current version
--   monitor(name, id)  -> true, id of a version other than id (answered when
--                         there is one), or true alone once name is removed
--   confirm(id)           the reader holds its own reference to id now
local skynet = require "skynet"
local host = require "skynet.sharedata.host"
local core = require "skynet.sharedata.core"

local catalog = {}
catalog.__index = catalog

-- label names the catalog in error messages ("sharedata: no data named x")
function catalog.new(label)
	local self = {
		label = label,
		current = host.own {}, -- name -> id
		watchers = {},         -- name -> { {source = , response = }, ... }
	}
	return setmetatable(self, catalog)
end

function catalog:fail(fmt, ...)
	error(self.label .. ": " .. string.format(fmt, ...), 0)
end

function catalog:id(name)
	local id = self.current[name]
	if not id then
		self:fail("no data named %s", tostring(name))
	end
	return id
end

-- answers the waiting readers of name with id (nil: name is gone)
function catalog:wake(name, id)
	local waiting = self.watchers[name]
	self.watchers[name] = nil
	for _, w in ipairs(waiting or {}) do
		if id then
			host.give(w.response, w.source, id)
		else
			w.response(true, true)
		end
	end
end

-- makes id (whose reference the caller hands over) the current version of name
function catalog:publish(name, id)
	local old = self.current[name]
	self.current[name] = id
	if old then
		core.decref(old)
	end
	self:wake(name, id)
end

function catalog:remove(name)
	local id = self:id(name)
	self.current[name] = nil
	core.decref(id)
	self:wake(name, nil)
end

function catalog:count()
	local n = 0
	for _ in pairs(self.current) do
		n = n + 1
	end
	return n
end

-- adds the readers' commands (see above) to CMD, a table for host.dispatch
function catalog:serve(CMD)
	function CMD.query(source, name)
		local id = self:id(name) -- before skynet.response(): an error answers false
		host.give(skynet.response(), source, id)
	end
	function CMD.confirm(source, id)
		host.drop(source, id)
	end
	function CMD.monitor(source, name, id)
		local now = self.current[name]
		if not now then
			skynet.retpack(true)
		elseif now ~= id then
			host.give(skynet.response(), source, now)
		else
			local waiting = self.watchers[name]
			if not waiting then
				waiting = {}
				self.watchers[name] = waiting
			end
			waiting[#waiting + 1] = { source = source, response = skynet.response() }
		end
	end
	return CMD
end

return catalog
