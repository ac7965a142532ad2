-- skynet.require: a require whose modules may call skynet (yield) while
-- they load, and skynet.init: functions run before the service starts.
local M = {}

local init_list = {}
local loading = {} -- name -> threads waiting for the module to finish loading
local builtin_require = require

function M.init(f, name)
	assert(type(f) == "function")
	init_list[#init_list + 1] = { f = f, name = name }
end

function M.init_all()
	local list = init_list
	init_list = {}
	for _, entry in ipairs(list) do
		entry.f()
	end
end

local function wait_for(name)
	local skynet = package.loaded.skynet
	local co = coroutine.running()
	local waiters = loading[name]
	waiters[#waiters + 1] = co
	skynet.wait(co)
end

local function wake_waiters(name)
	local waiters = loading[name]
	loading[name] = nil
	local skynet = package.loaded.skynet
	for _, co in ipairs(waiters) do
		skynet.wakeup(co)
	end
end

function M.require(name)
	local m = package.loaded[name]
	if m ~= nil then
		return m
	end
	if package.preload[name] then
		return builtin_require(name)
	end
	if loading[name] then
		if coroutine.isyieldable() and package.loaded.skynet then
			wait_for(name)
			return package.loaded[name]
		end
		error("loop or concurrent require of module " .. name)
	end
	-- the Lua file searcher (the loader's, which caches lookups)
	local f, filename = package.searchers[2](name)
	if type(f) ~= "function" then
		-- C modules, or a clear "module not found" error
		return builtin_require(name)
	end
	loading[name] = {}
	local ok, r = pcall(f, name, filename)
	if not ok then
		wake_waiters(name)
		error(r, 0)
	end
	if r ~= nil then
		package.loaded[name] = r
	elseif package.loaded[name] == nil then
		package.loaded[name] = true
	end
	wake_waiters(name)
	return package.loaded[name]
end

return M
