-- skynet.snax: services written as accept.* (one-way) and response.*
-- (request/answer) functions plus init/exit, run by snaxd.  A snax object
-- is { type = name, handle = address, post = ..., req = ... }:
--   obj.post.NAME(...)  sends to accept.NAME
--   obj.req.NAME(...)   calls response.NAME and returns its results
local skynet = require "skynet"
local snax_interface = require "snax.interface"

local snax = {}

skynet.register_protocol {
	name = "snax",
	id = skynet.PTYPE_SNAX,
	pack = skynet.pack,
	unpack = skynet.unpack,
}

-- the globals a caller loads a snax file with, to read its interface: the
-- module named by the config key snax_interface_g, or a table whose
-- require does nothing (the file's top-level requires are not needed)
local interface_globals
do
	local modname = skynet.getenv "snax_interface_g"
	interface_globals = modname and require(modname) or { require = function() end }
end

local interfaces = {} -- name -> { name =, accept = {name -> id}, response = ..., system = ... }

function snax.interface(name)
	local t = interfaces[name]
	if t then
		return t
	end
	t = { name = name, accept = {}, response = {}, system = {} }
	local funcs = snax_interface(name, interface_globals)
	for _, method in ipairs(funcs) do
		local id, group, mname = method[1], method[2], method[3]
		t[group][mname] = id
	end
	interfaces[name] = t
	return t
end

local function method_table(t, handle, group, what, invoke)
	return setmetatable({}, { __index = function(_, mname)
		local id = t[group][mname]
		if id == nil then
			error(string.format("%s %s:%s no exist", what, t.name, mname), 2)
		end
		return function(...)
			return invoke(handle, "snax", id, ...)
		end
	end })
end

local object_meta = {
	__tostring = function(obj)
		return string.format("[%s:%x]", obj.type, obj.handle)
	end,
}

local objects = setmetatable({}, { __mode = "kv" }) -- handle -> object

function snax.bind(handle, name)
	local obj = objects[handle]
	if obj then
		assert(obj.type == name, "snax handle bound to another type")
		return obj
	end
	local t = snax.interface(name)
	obj = setmetatable({
		type = name,
		handle = handle,
		post = method_table(t, handle, "accept", "post", function(...)
			skynet.send(...) -- a post answers nothing
		end),
		req = method_table(t, handle, "response", "request", skynet.call),
	}, object_meta)
	objects[handle] = obj
	return obj
end

-- starts a snaxd for name and runs its init(...); returns the handle
function snax.rawnewservice(name, ...)
	local t = snax.interface(name)
	local handle = skynet.newservice("snaxd", name)
	local ok, err = pcall(skynet.call, handle, "snax", t.system.init, ...)
	if not ok then
		skynet.send(handle, "debug", "EXIT") -- a service that failed its init serves nobody
		error(err, 0)
	end
	return handle
end

function snax.newservice(name, ...)
	return snax.bind(snax.rawnewservice(name, ...), name)
end

local function managed(command, name, ...)
	local handle = assert(skynet.call(".service", "lua", command, "snaxd", name, ...))
	return snax.bind(handle, name)
end

function snax.uniqueservice(name, ...)
	return managed("LAUNCH", name, ...)
end

function snax.globalservice(name, ...)
	return managed("GLAUNCH", name, ...)
end

function snax.queryservice(name)
	return managed("QUERY", name)
end

function snax.queryglobal(name)
	return managed("GQUERY", name)
end

-- runs obj's exit(...) and ends the service
function snax.kill(obj, ...)
	local t = snax.interface(obj.type)
	skynet.call(obj.handle, "snax", t.system.exit, ...)
end

-- inside a snax service: its own object
function snax.self()
	return snax.bind(skynet.self(), SERVICE_NAME)
end

function snax.exit(...)
	snax.kill(snax.self(), ...)
end

local function hotfix_result(ok, ...)
	if not ok then
		error((...), 0)
	end
	return ...
end

-- replaces obj's functions with those in source (see snax.hotfix); returns
-- what the patch's hotfix(...) function returns
function snax.hotfix(obj, source, ...)
	local t = snax.interface(obj.type)
	return hotfix_result(skynet.call(obj.handle, "snax", t.system.hotfix, source, ...))
end

function snax.printf(fmt, ...)
	skynet.error(string.format(fmt, ...))
end

-- { [method] = { count =, time = seconds } }
function snax.profile_info(obj)
	local t = snax.interface(obj.type)
	return skynet.call(obj.handle, "snax", t.system.profile)
end

return snax
