-- skynet.manager: what a service needs to manage others (launch C services,
-- kill, abort the node, name services, take over its own dispatch) on top
-- of the core API in skynet.lua.
local skynet = require "skynet"
local c = require "skynet.core"

-- skynet.launch("logger", args...): starts a C service from cpath; its
-- handle, or nil when the module or its init failed.
function skynet.launch(...)
	return c.addresscommand("LAUNCH", table.concat({ ... }, " "))
end

-- Kills a service by handle or name; true when there was such a service.
-- The launcher forgets a killed handle first, so whoever waits on it
-- starting learns it was killed.
function skynet.kill(target)
	if type(target) == "number" then
		skynet.send(".launcher", "lua", "REMOVE", target, true)
	end
	-- by number and as an address: no string is made per kill
	return c.addresscommand("KILL", target) ~= nil
end

function skynet.abort()
	c.command("ABORT")
end

local function valid_name(name)
	if type(name) ~= "string" or #name < 2 or #name > 64 or name:find "%s" then
		error("invalid service name " .. tostring(name), 3)
	end
	return name
end

-- A name that starts with "." is local to this node; any other name is
-- global: every harbor of the network (or the lone node) knows it, through
-- skynet.harbor.
local function publish(name, handle)
	if name:byte() == 58 or #name >= 16 or tonumber(name) then -- ":"
		error("invalid global name " .. name .. " (1 to 15 bytes, not a number or :address)", 3)
	end
	require("skynet.harbor").globalname(name, handle)
end

function skynet.name(name, handle)
	if valid_name(name):byte() ~= 46 then -- "."
		return publish(name, handle)
	end
	if c.command("NAME", name .. " " .. skynet.address(handle)) == nil then
		error("name " .. name .. " is already taken", 2)
	end
end

function skynet.register(name)
	if valid_name(name):byte() ~= 46 then
		return publish(name, skynet.self())
	end
	if c.command("REG", name) == nil then
		error("name " .. name .. " is already taken", 2)
	end
end

local dispatch_message = skynet.dispatch_message

-- The start function runs once the dispatch installed here is in place.
local function start_with(callback, keep, start_func)
	c.callback(callback, keep)
	skynet.timeout(0, function()
		skynet.init_service(start_func)
	end)
end

-- Messages of the types in map (type -> the type to dispatch them as) are
-- kept after dispatch: the service forwards or frees them itself
-- (skynet.redirect).  Any other message is freed here.
function skynet.forward_type(map, start_func)
	local function forwarding(ptype, msg, sz, ...)
		local as = map[ptype]
		if as then
			return dispatch_message(as, msg, sz, ...)
		end
		local ok, err = pcall(dispatch_message, ptype, msg, sz, ...)
		c.trash(msg, sz)
		if not ok then
			error(err, 0)
		end
	end
	start_with(forwarding, true, start_func)
end

-- f(type, msg, sz, session, source) sees every message first and returns
-- what to dispatch instead.
function skynet.filter(f, start_func)
	start_with(function(...)
		dispatch_message(f(...))
	end, false, start_func)
end

-- Starts (or with query, only finds) the service that hears of every exit
-- on this node.
function skynet.monitor(service, query)
	local find = query and skynet.queryservice or skynet.uniqueservice
	local monitor = find(true, service)
	if not monitor then
		error("Monitor launch failed", 2)
	end
	c.command("MONITOR", skynet.address(monitor))
	return monitor
end

return skynet
