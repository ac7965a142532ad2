-- snaxd NAME: runs the snax service file NAME (found through the config key
-- `snax`).  Messages of the "snax" protocol carry a method id (see
-- snax.interface): system methods init, exit, hotfix, profile; accept
-- methods answer nothing; response methods answer their results.  Each
-- accept/response call is timed with skynet.profile (debug INFO shows it).
local skynet = require "skynet"
local snax_interface = require "snax.interface"
local profile = require "skynet.profile"
local snax = require "skynet.snax"

local snax_name = tostring(...)
local loader_file = skynet.getenv "snax_loader"
local loader = loader_file and assert(dofile(loader_file))
local funcs, pattern = snax_interface(snax_name, _ENV, loader)
-- modules next to a service in its own folder (pattern "dir/?/main.lua")
SERVICE_PATH = string.sub(pattern, 1, string.find(pattern, "?", 1, true) - 1) .. snax_name .. "/"
SERVICE_NAME = snax_name
package.path = SERVICE_PATH .. "?.lua;" .. package.path

local stats = {} -- method name -> { count =, time = }

local function record(name, seconds)
	local s = stats[name]
	if s == nil then
		s = { count = 0, time = 0 }
		stats[name] = s
	end
	s.count = s.count + 1
	s.time = s.time + seconds
end

local function answer(f, ...)
	return skynet.ret(skynet.pack(f(...)))
end

local function timed_call(method, ...)
	local _, group, name, f = table.unpack(method)
	profile.start()
	local ok, err
	if group == "accept" then
		ok, err = xpcall(f, debug.traceback, ...)
	else
		ok, err = xpcall(answer, debug.traceback, f, ...)
	end
	record(name, profile.stop())
	if not ok then
		error(err, 0)
	end
end

local initialized = false
local system = {}

function system.init(f, ...)
	assert(not initialized, "Already init")
	if f then
		f(...)
	end
	skynet.ret()
	skynet.info_func(function()
		return stats
	end)
	initialized = true
end

function system.exit(f, ...)
	assert(initialized, "Never init")
	if f then
		f(...)
	end
	skynet.ret()
	initialized = false
	skynet.exit()
end

function system.hotfix(_, ...)
	local hotfix = require "snax.hotfix"
	skynet.ret(skynet.pack(hotfix(funcs, ...)))
end

function system.profile()
	skynet.ret(skynet.pack(stats))
end

local function dispatch(_, _, id, ...)
	local method = funcs[id]
	if method == nil then
		error(string.format("snax %s has no method %s", snax_name, tostring(id)))
	end
	if method[2] == "system" then
		return system[method[3]](method[4], ...)
	end
	assert(initialized, "Init first")
	return timed_call(method, ...)
end

skynet.start(function()
	skynet.dispatch("snax", dispatch)
	-- lets other nodes (cluster calls arrive as "lua") reach the methods
	function snax.enablecluster()
		skynet.dispatch("lua", dispatch)
	end
end)
