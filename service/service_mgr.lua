-- service_mgr (".service"): one instance per name for skynet.uniqueservice,
-- and skynet.queryservice, which waits until that instance is up.
local skynet = require "skynet"
require "skynet.manager"

local cmd = {}
local service = {} -- name -> handle | error string | { waiting threads, launching = true }

local function wait_ready(name)
	local s = service[name]
	local co = coroutine.running()
	s[#s + 1] = co
	skynet.wait(co)
	s = service[name]
	if type(s) == "string" then
		error(s)
	end
	return s
end

-- the entry of name: its handle when up (raises its error when it failed),
-- else the table of threads waiting for it
local function entry(name)
	local s = service[name]
	if type(s) == "string" then
		error(s)
	elseif s == nil then
		s = {}
		service[name] = s
	end
	return s
end

-- a snax service is kept as "snaxd.NAME" and started with its init call
local function service_key(name, sub)
	if name == "snaxd" then
		return "snaxd." .. tostring(sub)
	end
	return name
end

local function start(name, ...)
	if name == "snaxd" then
		return require("skynet.snax").rawnewservice(...)
	end
	return skynet.newservice(name, ...)
end

local function launch(name, ...)
	local key = service_key(name, ...)
	local s = entry(key)
	if type(s) == "number" then
		return s
	end
	if s.launching then
		return wait_ready(key)
	end
	s.launching = true
	local ok, handle = pcall(start, name, ...)
	service[key] = ok and handle or tostring(handle)
	for _, co in ipairs(s) do
		skynet.wakeup(co)
	end
	if not ok then
		error(handle)
	end
	return handle
end

local function query(name)
	local s = entry(name)
	if type(s) == "number" then
		return s
	end
	return wait_ready(name)
end

function cmd.LAUNCH(name, ...)
	return launch(name, ...)
end

function cmd.QUERY(name, sub)
	return query(service_key(name, sub))
end

-- without a harbor, global services are this node's
cmd.GLAUNCH = cmd.LAUNCH
cmd.GQUERY = cmd.QUERY

function cmd.LIST()
	local result = {}
	for k, v in pairs(service) do
		if type(v) == "number" then
			result[k] = skynet.address(v)
		elseif type(v) == "string" then
			result[k] = "Error: " .. v
		else
			result[k] = "Querying: " .. #v
		end
	end
	return result
end

skynet.dispatch("lua", function(_, _, command, ...)
	local f = cmd[command]
	if f == nil then
		error("unknown service_mgr command " .. tostring(command))
	end
	skynet.ret(skynet.pack(f(...)))
end)

skynet.start(function()
	skynet.register(".service")
end)
