-- The node of the echo benchmark's ceiling (test/bench_echo.sh): as
-- config_echo.lua, with the C echo service instead of the Lua one; the
-- service is built in $BENCH_CSERVICE.
root = "./"
thread = 2
harbor = 0
logger = nil
bootstrap = "snlua bootstrap"
start = "echo_c_start"
echo_port = "$ECHO_PORT"
cpath = root .. "cservice/?.so;$BENCH_CSERVICE/?.so"
luaservice = root .. "service/?.lua;" .. root .. "test/bench/?.lua"
lualoader = root .. "lualib/loader.lua"
lua_path = root .. "lualib/?.lua;" .. root .. "lualib/?/init.lua"
lua_cpath = root .. "luaclib/?.so"
