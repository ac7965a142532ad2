-- skynet.manager: service management beyond the core API.
local skynet = require "skynet"
local c = require "skynet.core"

function skynet.launch(...)
	local addr = c.command("LAUNCH", table.concat({ ... }, " "))
	if addr then
		return tonumber(string.sub(addr, 2), 16)
	end
end

function skynet.kill(name)
	if type(name) == "number" then
		skynet.send(".launcher", "lua", "REMOVE", name, true)
		name = skynet.address(name)
	end
	c.command("KILL", name)
end

function skynet.abort()
	c.command("ABORT")
end

local function check_name(name)
	if type(name) ~= "string" or #name < 2 or #name > 64 or name:find("%s") then
		error("invalid service name " .. tostring(name), 3)
	end
end

-- ".name" is local to this node; any other name is global: every harbor of
-- the network (or the lone node) knows it, through skynet.harbor
local function is_local(name)
	return name:byte() == 46 -- "."
end

local function publish(name, handle)
	if name:byte() == 58 or #name >= 16 or tonumber(name) then -- ":"
		error("invalid global name " .. name .. " (1 to 15 bytes, not a number or :address)", 3)
	end
	require("skynet.harbor").globalname(name, handle)
end

function skynet.register(name)
	check_name(name)
	if not is_local(name) then
		publish(name, skynet.self())
	elseif c.command("REG", name) == nil then
		error("name " .. name .. " is already taken", 2)
	end
end

function skynet.name(name, handle)
	check_name(name)
	if not is_local(name) then
		publish(name, handle)
	elseif c.command("NAME", name .. " " .. skynet.address(handle)) == nil then
		error("name " .. name .. " is already taken", 2)
	end
end

local dispatch_message = skynet.dispatch_message

-- serves the message types in map (ptype -> prototype) and keeps them
-- (they may have been redirected); others are freed after dispatch
function skynet.forward_type(map, start_func)
	c.callback(function(ptype, msg, sz, ...)
		local prototype = map[ptype]
		if prototype then
			dispatch_message(prototype, msg, sz, ...)
		else
			local ok, err = pcall(dispatch_message, ptype, msg, sz, ...)
			c.trash(msg, sz)
			if not ok then
				error(err, 0)
			end
		end
	end, true)
	skynet.timeout(0, function()
		skynet.init_service(start_func)
	end)
end

function skynet.filter(f, start_func)
	c.callback(function(...)
		dispatch_message(f(...))
	end)
	skynet.timeout(0, function()
		skynet.init_service(start_func)
	end)
end

function skynet.monitor(service, query)
	local monitor
	if query then
		monitor = skynet.queryservice(true, service)
	else
		monitor = skynet.uniqueservice(true, service)
	end
	assert(monitor, "Monitor launch failed")
	c.command("MONITOR", string.format(":%08x", monitor))
	return monitor
end

return skynet
