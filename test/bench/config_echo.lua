-- The node of the echo benchmark (test/bench_echo.sh): two workers, the
-- echo server as its start service, listening on $ECHO_PORT.
root = "./"
thread = 2
harbor = 0
logger = nil
bootstrap = "snlua bootstrap"
start = "echo_server"
echo_port = "$ECHO_PORT"
cpath = root .. "cservice/?.so"
luaservice = root .. "service/?.lua;" .. root .. "test/bench/?.lua"
lualoader = root .. "lualib/loader.lua"
lua_path = root .. "lualib/?.lua;" .. root .. "lualib/?/init.lua"
lua_cpath = root .. "luaclib/?.so"
