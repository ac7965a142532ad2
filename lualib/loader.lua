-- Runs a Lua service: finds SERVICE_NAME through LUA_SERVICE (the config's
-- luaservice patterns), sets the module paths, runs the preload and the
-- service's main chunk with its arguments.  LUA_SERVICE, LUA_PATH,
-- LUA_CPATH and LUA_PRELOAD are nil once this file has returned (snlua
-- keeps them outside _G, which they would otherwise grow for good).
-- Called by snlua with the launch string "name arg1 arg2 ..." and snlua's
-- searchpath (below).
-- Nothing defined here outlives the start: every service pays for this
-- file only while it loads.
local launch, searchpath = ...
local args = {}
for word in string.gmatch(launch, "%S+") do
	args[#args + 1] = word
end

SERVICE_NAME = args[1]

-- module paths: the config's, then the system's (cjson and friends)
package.path = LUA_PATH .. ";" .. package.path
package.cpath = LUA_CPATH .. ";" .. package.cpath

-- package.searchers[2..5] are snlua's: module lookups and compiled chunks are
-- remembered node-wide, so the 10,000th service finds its modules without
-- touching the file system; it also finds services through searchpath.  The
-- last one has a skynet module missing here say so by name.

local function find_service(name)
	if name == nil then
		error("no service name given to launch", 0)
	end
	local filename, err = searchpath(name, LUA_SERVICE)
	if filename == nil then
		error("service " .. name .. " not found:\n\t" .. err, 0)
	end
	local main, lerr = loadfile(filename)
	if not main then
		error(lerr, 0)
	end
	for pattern in string.gmatch(LUA_SERVICE, "[^;]+") do
		if string.gsub(pattern, "?", name) == filename then
			return main, pattern, filename
		end
	end
	return main, "", filename
end

local function run()
	local main, pattern, filename = find_service(SERVICE_NAME)
	SERVICE_PATH = string.match(filename, "^(.*/)") or "./"
	-- a service that lives in its own folder (pattern "dir/?/main.lua")
	-- can require the modules next to it
	if string.find(pattern, "?/", 1, true) then
		package.path = SERVICE_PATH .. "?.lua;" .. package.path
	end
	-- modules that call skynet at load time need a yieldable require
	_G.require = (require "skynet.require").require
	if LUA_PRELOAD then
		local preload = assert(loadfile(LUA_PRELOAD))
		preload(table.unpack(args))
	end
	main(select(2, table.unpack(args)))
end

-- the debug library is opened only for an error's traceback
local ok, err = xpcall(run, function(e)
	return debug.traceback(e, 2)
end)
if not ok then
	-- as text, even an error object whose __tostring raises
	local shown, text = pcall(tostring, err)
	err = shown and type(text) == "string" and text
		or string.format("(a %s error object whose __tostring failed)", type(err))
	-- the launcher waits for a word from every service it starts
	pcall(function()
		local skynet = require "skynet"
		skynet.send(".launcher", "lua", "ERROR", err)
	end)
	error(err, 0)
end
