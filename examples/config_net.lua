-- The network example: ./skynet examples/config_net.lua, then talk to it
-- with examples/client (see README).  The ports can be overridden from the
-- environment: GATE_PORT=9000 ECHO_PORT=9001 ./skynet examples/config_net.lua
root = "./"
thread = 2
harbor = 0
logger = nil
bootstrap = "snlua bootstrap"
start = "main_net"
gate_port = "$GATE_PORT"
echo_port = "$ECHO_PORT"
maxclient = "$MAXCLIENT"
cpath = root .. "cservice/?.so"
luaservice = root .. "service/?.lua;" .. root .. "examples/?.lua"
lualoader = root .. "lualib/loader.lua"
lua_path = root .. "lualib/?.lua;" .. root .. "lualib/?/init.lua"
lua_cpath = root .. "luaclib/?.so"
