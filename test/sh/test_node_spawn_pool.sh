#!/usr/bin/env bash
# snlua makes VMs ahead (libraries opened, the loader and skynet loaded but
# not run) on an idle CPU; a new service takes one.  What
# a service sees must not change: its preload runs before skynet is
# required, its arguments arrive, and after the console's clearcache a new
# service runs the edited skynet.lua, even when the pool was filled before.
source "$(dirname "$0")/core_lib.sh"

cp -r "$ROOT/lualib" "$SCRATCH/lualib"
mkdir -p "$SCRATCH/services"
cat >"$SCRATCH/preload.lua" <<'LUA'
PRELOAD_SAW_SKYNET = package.loaded.skynet ~= nil
LUA
cat >"$SCRATCH/services/pool_child.lua" <<'LUA'
local skynet = require "skynet"
local args = table.pack(...)
skynet.start(function()
	skynet.dispatch("lua", function()
		skynet.ret(skynet.pack(skynet.POOL_MARK, PRELOAD_SAW_SKYNET, table.unpack(args, 1, args.n)))
	end)
end)
LUA
cat >"$SCRATCH/services/pool_main.lua" <<LUA
local skynet = require "skynet"
require "skynet.manager"
local library = "$SCRATCH/lualib/skynet.lua"

local function check(i, want_mark)
	local child = skynet.newservice("pool_child", "a" .. i, "b")
	local mark, saw, a, b = skynet.call(child, "lua")
	assert(mark == want_mark, "child " .. i .. ": skynet.POOL_MARK is " .. tostring(mark))
	assert(saw == false, "child " .. i .. ": the preload ran after skynet was loaded")
	assert(a == "a" .. i and b == "b", "child " .. i .. ": arguments " .. tostring(a) .. " " .. tostring(b))
	skynet.kill(child)
end

local function edit_library()
	local f = assert(io.open(library))
	local text = f:read("a")
	f:close()
	local edited, n = text:gsub("\\nreturn skynet%s*\$", "\\nskynet.POOL_MARK = \\"edited\\"\\nreturn skynet\\n")
	assert(n == 1, "no final 'return skynet' in " .. library)
	f = assert(io.open(library, "w"))
	f:write(edited)
	f:close()
end

skynet.start(function()
	for i = 1, 60 do
		check(i, nil)
	end
	skynet.sleep(20) -- the pool fills up again, from the library as it is
	edit_library()
	debug.getregistry().skynet_codecache_clear() -- what the console's clearcache runs
	for i = 61, 80 do
		check(i, "edited")
	end
	local ok, err = pcall(skynet.newservice, "no_such_pool_service")
	assert(not ok and tostring(err):find("no_such_pool_service"), tostring(err))
	check(81, "edited")
	print("POOL TEST PASS")
	skynet.abort()
end)
LUA

node_config "$SCRATCH/pool.lua" pool_main <<CONF
lualoader = "$SCRATCH/lualib/loader.lua"
lua_path = "$SCRATCH/lualib/?.lua;$SCRATCH/lualib/?/init.lua"
luaservice = "$SCRATCH/services/?.lua;$ROOT/service/?.lua"
preload = "$SCRATCH/preload.lua"
CONF
start_node "$SCRATCH/pool.lua" "$SCRATCH/pool.out"
wait_exit "$NODE_PID" 60 || fail "the node did not finish: $(tail -5 "$SCRATCH/pool.out")"
grep -q "POOL TEST PASS" "$SCRATCH/pool.out" || fail "$(grep -v LAUNCH "$SCRATCH/pool.out" | tail -15)"
# the filler thread is stopped before the node frees what it reads
! grep -E "ThreadSanitizer|AddressSanitizer|LeakSanitizer|runtime error" "$SCRATCH/pool.out" ||
	fail "sanitizer report above"
echo PASS
