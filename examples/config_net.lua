-- The network example: ./skynet examples/config_net.lua starts a key-value
-- server behind a gate (port gate_port) and an echo server (echo_port);
-- talk to them with build/release/examples/client (see README).  Another
-- config can `include` this one and override the ports or maxclient.
root = "./"
thread = 2
harbor = 0
logger = nil
bootstrap = "snlua bootstrap"
start = "main_net"
gate_port = 8888
echo_port = 8889
maxclient = 64
cpath = root .. "cservice/?.so"
luaservice = root .. "service/?.lua;" .. root .. "examples/?.lua"
lualoader = root .. "lualib/loader.lua"
lua_path = root .. "lualib/?.lua;" .. root .. "lualib/?/init.lua"
lua_cpath = root .. "luaclib/?.so"
