-- skynet.service: a service whose code is a function of the caller's file.
--   service.new(name, mainfunc, ...)  starts it once per node (by name) and
--                                     returns its address
--   service.query(name)               the address, waiting while it boots
--   service.close(name)               forgets and kills it
-- mainfunc is shipped as bytecode, so it may use no upvalue but _ENV:
-- everything it needs it requires itself.  service_provider (a unique
-- service) keeps the names; each one runs in a service_cell.
local skynet = require "skynet"

local service = {}
local known = {} -- name -> address
local provider

local function provider_address()
	if provider == nil then
		provider = skynet.uniqueservice "service_provider"
	end
	return provider
end

local function check_mainfunc(f)
	if type(f) ~= "function" then
		error("service.new needs a main function", 3)
	end
	local info = debug.getinfo(f, "u")
	local only_env = info.nups == 0 or (info.nups == 1 and debug.getupvalue(f, 1) == "_ENV")
	if not only_env then
		error("the main function of a service may use no upvalue but _ENV", 3)
	end
end

function service.new(name, mainfunc, ...)
	local p = provider_address()
	local address, booting = skynet.call(p, "lua", "test", name)
	if address == nil then
		if booting then
			address = skynet.call(p, "lua", "query", name)
		else
			check_mainfunc(mainfunc)
			address = skynet.call(p, "lua", "launch", name, string.dump(mainfunc), ...)
		end
	end
	known[name] = address
	return address
end

function service.query(name)
	local address = known[name]
	if address == nil then
		address = skynet.call(provider_address(), "lua", "query", name)
		known[name] = address
	end
	return address
end

function service.close(name)
	local address = skynet.call(provider_address(), "lua", "close", name)
	if address == nil then
		return false
	end
	known[name] = nil
	require "skynet.manager"
	skynet.kill(address)
	return true
end

return service
