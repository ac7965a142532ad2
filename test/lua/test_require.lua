-- skynet.init functions run before start; require may block in the
-- framework and loads a module once for concurrent callers; cjson loads
local skynet = require "skynet"
local T = require "testlib"
local init_mod = require "init_mod"

skynet.init(function()
	INIT_ORDER = (INIT_ORDER or "") .. "service "
end)

local function init_functions()
	T.eq(init_mod.ready, true, "a module's init ran before start")
	T.eq(INIT_ORDER, "module service ", "init functions run in registration order")
end

local function blocking_require()
	local results = {}
	for i = 1, 3 do
		skynet.fork(function()
			results[i] = require "yielding_mod"
		end)
	end
	local mod = require "yielding_mod"
	skynet.sleep(2)
	T.eq(YIELDING_MOD_LOADS, 1, "the module body ran once")
	for i = 1, 3 do
		T.eq(results[i], mod, "every caller gets the same module")
	end
	T.eq(package.loaded.yielding_mod, mod, "registered in package.loaded")
	T.raises("no_such_module", require, "no_such_module")
	local err = T.raises("module 'no_such_module' not found", require, "no_such_module")
	T.ok(not tostring(err):find("skynet module", 1, true), "an unknown module is not called a skynet module")
	-- a module skynet has and this framework lacks says so by name (this one
	-- is skynet's MongoDB transaction helper, which needs a MongoDB server)
	T.raises("'skynet.db.mongo.transaction' is a skynet module this framework does not provide yet",
		require, "skynet.db.mongo.transaction")
end

local function failing_modules()
	T.raises("raising_mod failed to load", require, "raising_mod")
	T.eq(package.loaded.raising_mod, nil, "a module whose body raised is not registered")
	T.raises("raising_mod failed to load", require, "raising_mod")
	T.eq(RAISING_MOD_LOADS, 2, "a failed module is loaded again by the next require")
	-- where the caller cannot wait (no yield across a C call), a module
	-- that requires itself is an error, not a hang
	T.raises("loop or concurrent require of module loop_mod", string.gsub, "x", "x", function()
		return require "loop_mod"
	end)
	T.raises("(function expected, got string)", skynet.init, "not a function")
end

local function json()
	local cjson = require "cjson"
	local text = cjson.encode { name = "node", list = { 1, 2, 3 }, ok = true }
	local back = cjson.decode(text)
	T.eq(back.name, "node", "cjson round trip")
	T.eq(#back.list, 3, "cjson array")
	T.eq(back.ok, true, "cjson boolean")
	T.raises(nil, cjson.decode, "{broken")
	local svc = skynet.newservice("echo_svc")
	T.eq(skynet.call(svc, "lua", "echo", text), text, "json text crosses services")
end

T.run(function()
	init_functions()
	blocking_require()
	failing_modules()
	json()
end)
