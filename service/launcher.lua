-- The launcher: starts Lua services for skynet.newservice and keeps the
-- list of running services for the debug console (LIST, STAT, MEM, GC,
-- KILL, LOGLAUNCH).  LAUNCH answers only once the new service has finished its
-- skynet.start function (LAUNCHOK) or failed (ERROR).
local skynet = require "skynet"
local core = require "skynet.core"
require "skynet.manager"

local services = {}  -- handle -> "snlua name args"
local instance = {}  -- handle -> response to the pending LAUNCH
local command = {}
local NORET = {}

-- a handle, or its ":hex" text
local function handle_to_address(handle)
	if type(handle) == "number" then
		return handle
	end
	return core.tohandle(handle)
end

function command.LIST()
	local list = {}
	for k, v in pairs(services) do
		list[skynet.address(k)] = v
	end
	return list
end

-- asks every service something over the debug protocol, in parallel,
-- waiting at most ti centiseconds (default 1 s; 0: as long as they take)
local function query_all(cmd, ti, format)
	ti = ti or 100
	if ti <= 0 then
		ti = nil
	end
	local list = {}
	local req = skynet.request()
	for k in pairs(services) do
		req:add { k, "debug", cmd }
	end
	for r, resp in req:select(ti) do
		local addr = r[1]
		if resp then
			list[skynet.address(addr)] = format(resp[1], services[addr])
		else
			list[skynet.address(addr)] = string.format("ERROR (%s)", services[addr])
		end
	end
	for _, r in ipairs(req) do
		if r.timeout then
			list[skynet.address(r[1])] = string.format("TIMEOUT (%s)", services[r[1]])
		end
	end
	return list
end

function command.STAT(_, ti)
	return query_all("STAT", ti, function(stat)
		return stat
	end)
end

function command.MEM(_, ti)
	return query_all("MEM", ti, function(kb, name)
		return string.format("%.2f Kb (%s)", kb, name)
	end)
end

function command.GC(_, ti)
	for k in pairs(services) do
		skynet.send(k, "debug", "GC")
	end
	return command.MEM(nil, ti)
end

function command.KILL(_, handle)
	handle = handle_to_address(handle)
	local name = services[handle]
	if not skynet.kill(handle) then
		return nil, "No service " .. skynet.address(handle)
	end
	services[handle] = nil
	return { [skynet.address(handle)] = tostring(name) }
end

function command.REMOVE(_, handle, kill)
	services[handle] = nil
	local response = instance[handle]
	if response then
		-- it ended before it finished starting: skynet.exit() in its start
		-- function is a normal end; being killed is a failure
		if kill then
			response(true, nil, "killed while starting")
		else
			response(true, handle)
		end
		instance[handle] = nil
	end
	return NORET
end

local function launch(service, log, ...)
	local param = table.concat({ ... }, " ")
	local inst = skynet.launch(service, param)
	if inst and log then
		-- from its first message on (the console's `log` command)
		require("skynet.core").command("LOGON", skynet.address(inst))
	end
	local response = skynet.response()
	if inst then
		services[inst] = service .. " " .. param
		instance[inst] = response
	else
		response(true, nil, "cannot launch " .. service .. " " .. param)
	end
	return NORET
end

function command.LAUNCH(_, service, ...)
	return launch(service, false, ...)
end

function command.LOGLAUNCH(_, service, ...)
	return launch(service, true, ...)
end

function command.LAUNCHOK(address)
	local response = instance[address]
	if response then
		response(true, address)
		instance[address] = nil
	end
	return NORET
end

function command.ERROR(address, err)
	local response = instance[address]
	if response then
		response(true, nil, err or "start failed")
		instance[address] = nil
	end
	services[address] = nil
	return NORET
end

skynet.dispatch("lua", function(session, address, cmd, ...)
	local f = command[string.upper(tostring(cmd))]
	if f == nil then
		if session ~= 0 then
			skynet.ret(skynet.pack(nil, "Unknown command " .. tostring(cmd)))
		end
		return
	end
	local ret, err = f(address, ...)
	if ret ~= NORET then
		skynet.ret(skynet.pack(ret, err))
	end
end)

skynet.start(function() end)
