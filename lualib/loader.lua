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

local function file_exists(filename)
	local f = io.open(filename, "r")
	if f then
		f:close()
		return true
	end
end

local function find_service(name)
	if name == nil then
		error("no service name given to launch", 0)
	end
	local tried = {}
	for pattern in string.gmatch(LUA_SERVICE, "[^;]+") do
		local filename = string.gsub(pattern, "?", name)
		if file_exists(filename) then
			local main, err = loadfile(filename)
			if not main then
				error(err, 0)
			end
			return main, pattern, filename
		end
		tried[#tried + 1] = "\n\tno file '" .. filename .. "'"
	end
	error("service " .. name .. " not found:" .. table.concat(tried), 0)
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
	-- the launcher waits for a word from every service it starts
	pcall(function()
		local skynet = require "skynet"
		skynet.send(".launcher", "lua", "ERROR", tostring(err))
	end)
	error(err, 0)
end
