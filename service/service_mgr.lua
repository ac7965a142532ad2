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

-- the handle of key, made once by f(...); later callers wait for it
local function resolve(key, f, ...)
	local s = entry(key)
	if type(s) == "number" then
		return s
	end
	if s.launching then
		return wait_ready(key)
	end
	s.launching = true
	local ok, handle, err = pcall(f, ...)
	if ok and handle == nil then -- a manager that answers nil, error
		ok, handle = false, err or "no service " .. key
	end
	service[key] = ok and handle or tostring(handle)
	for _, co in ipairs(s) do
		skynet.wakeup(co)
	end
	if not ok then
		error(handle)
	end
	return handle
end

local function query(key)
	local s = entry(key)
	if type(s) == "number" then
		return s
	end
	return wait_ready(key)
end

-- the key a service is kept under: a snax service as "snaxd.NAME", a
-- global one with a leading "@"
local function service_key(name, sub)
	local global = name:match "^@(.*)"
	local key = global or name
	if key == "snaxd" then
		key = "snaxd." .. tostring(sub)
	end
	return global and "@" .. key or key, global or name
end

-- a snax service starts with its init call
local function start(name, ...)
	if name == "snaxd" then
		return require("skynet.snax").rawnewservice(...)
	end
	return skynet.newservice(name, ...)
end

-- name is a service name, or "@name" for a global one
function cmd.LAUNCH(name, ...)
	local key, service_name = service_key(name, ...)
	return resolve(key, start, service_name, ...)
end

function cmd.QUERY(name, sub)
	return query((service_key(name, sub)))
end

local function list_services()
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

cmd.LIST = list_services

-- Global services (uniqueservice(true, ...)) live on the node that runs
-- the master (or the lone node), whose manager is the global name SERVICE;
-- the other nodes' managers ask it, as skynet's do.
local managers = {} -- handles of the other nodes' managers (REPORT)

local function serve_globals()
	skynet.register("SERVICE")
	function cmd.GLAUNCH(name, ...)
		return cmd.LAUNCH("@" .. name, ...)
	end
	function cmd.GQUERY(name, sub)
		return cmd.QUERY("@" .. name, sub)
	end
	function cmd.REPORT(m)
		managers[m] = true
	end
	function cmd.LIST()
		local result = list_services()
		for m in pairs(managers) do
			local ok, list = pcall(skynet.call, m, "lua", "LIST")
			for k, v in pairs(ok and list or {}) do
				result[k .. "@" .. skynet.harbor(m)] = v
			end
		end
		return result
	end
end

local function ask_globals()
	function cmd.GLAUNCH(name, ...)
		local key = service_key("@" .. name, ...)
		return resolve(key, skynet.call, "SERVICE", "lua", "LAUNCH", "@" .. name, ...)
	end
	function cmd.GQUERY(name, sub)
		local key = service_key("@" .. name, sub)
		return resolve(key, skynet.call, "SERVICE", "lua", "QUERY", "@" .. name, sub)
	end
	skynet.call("SERVICE", "lua", "REPORT", skynet.self())
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
	if skynet.getenv "standalone" then
		serve_globals()
	else
		skynet.fork(ask_globals)
	end
end)
