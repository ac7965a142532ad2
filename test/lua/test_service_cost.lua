-- What an idle service holds: io, os, math, utf8 and debug open on first use, the
-- rarely used parts of the API load on first use, the start-up code is
-- not kept, and the heap of a service that only answers calls stays small.
local skynet = require "skynet"
require "skynet.manager"
local memory = require "skynet.memory"
local T = require "testlib"

-- this probe's Lua heap after a full collection is ~36 KB (an idle
-- service's, plus its handler and command table; ~50 KB with the message
-- path in skynet.lua); a regression guard, not a benchmark
local HEAP_LIMIT_KB = 38

local function lazy_libraries()
	T.eq(rawget(_G, "utf8"), nil, "utf8 is not opened before its first use")
	T.eq(require "utf8", utf8, "require finds a lazy library, and the global is the same table")
	T.eq(rawget(_G, "utf8"), package.loaded.utf8, "the global appears on first read")
	T.eq(math.max(1, 3), 3, "math works once read")
	T.eq(type(os.time()), "number", "os works once read")
	T.eq(_G[1], nil, "a non-string key of _G is just missing")
	T.eq(_G.no_such_global, nil, "an unknown global is still nil")
	for _, name in ipairs { "LUA_PATH", "LUA_CPATH", "LUA_SERVICE", "LUA_PRELOAD" } do
		T.eq(_G[name], nil, name .. " is nil once the loader has run")
	end
	T.eq(SERVICE_NAME, "test_service_cost", "SERVICE_NAME stays")
end

-- The node's count of an idle service's Lua memory, garbage included
-- (nothing it does would make it collect): 29.9 KB here.  It was 47.9 KB
-- with the stacks and garbage of its start-up kept (skynet.core's trim),
-- 44.2 KB with the thread it ran on kept, 43.2 KB with the loader's LUA_*
-- paths as keys of _G, 42.5 KB with the loader run on the main thread, 41.9
-- KB with its last searcher in Lua, 41.5 KB with the message path (call,
-- ret, dispatch, handler threads) in skynet.lua instead of the dispatcher's
-- C.  A guard like the one above.
local IDLE_LIMIT_KB = 31

local function idle_service()
	local idle = skynet.newservice("idle_svc")
	skynet.sleep(5) -- the start-up's message ends after LAUNCHOK reached us
	local kb = memory.info()[idle] / 1024
	T.ok(kb < IDLE_LIMIT_KB, string.format("idle service holds %.1f KB < %.1f KB", kb, IDLE_LIMIT_KB))
	skynet.kill(idle)
end

T.run(function()
	lazy_libraries()
	idle_service()
	local probe = skynet.newservice("cost_probe_svc")
	local loaded, heap_kb = skynet.call(probe, "lua", "state")
	for name, is_loaded in pairs(loaded) do
		T.eq(is_loaded, false, name .. " is not loaded by a service that does not use it")
	end
	T.ok(heap_kb < HEAP_LIMIT_KB, string.format("idle service heap %.1f KB < %d KB", heap_kb, HEAP_LIMIT_KB))
	-- a response nobody waits for is logged by skynet/rare.lua, loaded for it
	require("skynet.core").send(probe, skynet.PTYPE_RESPONSE, 424242, "stray")
	T.eq(skynet.call(probe, "lua", "rare_loaded"), true, "skynet.rare loaded by an unknown session")
	local sleep_type, common, node, extra = skynet.call(probe, "lua", "first_use")
	T.eq(sleep_type, "function", "skynet.sleep is there on first use")
	T.eq(common, true, "skynet.common loaded by that use")
	T.eq(node, false, "skynet.node not loaded by it")
	T.eq(extra, false, "skynet.extra not loaded by it")
	local getenv_type
	getenv_type, node, extra = skynet.call(probe, "lua", "node_use")
	T.eq(getenv_type, "function", "skynet.getenv is there on first use")
	T.eq(node, true, "skynet.node loaded by that use")
	T.eq(extra, false, "skynet.extra still not loaded")
	local is_nil
	is_nil, extra = skynet.call(probe, "lua", "unknown_name")
	T.ok(is_nil and extra, "an unknown name is nil once every part is loaded")
	skynet.kill(probe)
end)
