-- Runs a Lua service: finds SERVICE_NAME through LUA_SERVICE (the config's
-- luaservice patterns), sets the module paths, runs the preload and the
-- service's main chunk with its arguments.  Called by snlua with the
-- launch string "name arg1 arg2 ...".
local args = {}
for word in string.gmatch(..., "%S+") do
	args[#args + 1] = word
end

SERVICE_NAME = args[1]

-- module paths: the config's, then the system's (cjson and friends)
package.path = LUA_PATH .. ";" .. package.path
package.cpath = LUA_CPATH .. ";" .. package.cpath

-- File lookups are remembered node-wide (snlua's cache), so the 10,000th
-- service finds its modules without touching the file system.
local registry = debug.getregistry()
local cache_get, cache_set = registry.skynet_cache_get, registry.skynet_cache_set
local searchpath = package.searchpath

-- kind "L" and "C" (modules) remember misses too: a module that is not
-- there is looked for once per node (the console's clearcache forgets);
-- kind "S" (services) does not, so a service file added later is found
local function find(kind, name, path, sep)
	local key = "\1" .. kind .. name .. "\0" .. path
	local found = cache_get(key)
	if found then
		if string.byte(found) == 0 then
			return nil, string.sub(found, 2)
		end
		return found
	end
	local filename, err = searchpath(name, path, sep)
	if filename then
		cache_set(key, filename)
	elseif kind ~= "S" then
		cache_set(key, "\0" .. err)
	end
	return filename, err
end

local function lua_searcher(name)
	local filename, err = find("L", name, package.path)
	if filename == nil then
		return "\n\t" .. err
	end
	local f, lerr = loadfile(filename)
	if f == nil then
		error(string.format("error loading module '%s' from file '%s':\n\t%s", name, filename, lerr), 0)
	end
	return f, filename
end

local function open_c(name, filename)
	local symbol = "luaopen_" .. string.gsub(string.gsub(name, "^[^%-]*%-", ""), "%.", "_")
	local f, err = package.loadlib(filename, symbol)
	if f == nil and not string.find(err, "undefined symbol", 1, true) then
		error(string.format("error loading module '%s' from file '%s':\n\t%s", name, filename, err), 0)
	end
	return f
end

local function c_searcher(name)
	local filename, err = find("C", name, package.cpath)
	if filename == nil then
		return "\n\t" .. err
	end
	return open_c(name, filename) or ("\n\tno module '" .. name .. "' in file '" .. filename .. "'"), filename
end

-- "a.b.c" from the library of "a" (all of skynet's C modules live in luaclib/skynet.so)
local function croot_searcher(name)
	local root = string.match(name, "^([^%.]+)%.")
	if root == nil then
		return
	end
	local filename, err = find("C", root, package.cpath)
	if filename == nil then
		return "\n\t" .. err
	end
	local f = open_c(name, filename)
	if f == nil then
		return "\n\tno module '" .. name .. "' in file '" .. filename .. "'"
	end
	return f, filename
end

package.searchers[2] = lua_searcher
package.searchers[3] = c_searcher
package.searchers[4] = croot_searcher
-- last: a skynet module missing here says so by name
package.searchers[5] = function(name)
	return require "skynet.missing"(name)
end

local function find_service(name)
	if name == nil then
		error("no service name given to launch", 0)
	end
	local filename, err = find("S", name, LUA_SERVICE, "")
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
	LUA_SERVICE = nil
	SERVICE_PATH = string.match(filename, "^(.*/)") or "./"
	-- a service that lives in its own folder (pattern "dir/?/main.lua")
	-- can require the modules next to it
	if string.find(pattern, "?/", 1, true) then
		package.path = SERVICE_PATH .. "?.lua;" .. package.path
	end
	LUA_PATH, LUA_CPATH = nil, nil
	-- modules that call skynet at load time need a yieldable require
	_G.require = (require "skynet.require").require
	if LUA_PRELOAD then
		local preload = assert(loadfile(LUA_PRELOAD))
		preload(table.unpack(args))
	end
	LUA_PRELOAD = nil
	main(select(2, table.unpack(args)))
end

local ok, err = xpcall(run, debug.traceback)
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
