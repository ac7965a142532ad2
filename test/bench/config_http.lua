-- The node of the HTTP benchmark (test/bench_http.sh): two workers, the
-- hello-world httpd as its start service on $HTTP_PORT, a WebSocket echo
-- on $WS_PORT.
root = "./"
thread = 2
harbor = 0
logger = nil
bootstrap = "snlua bootstrap"
start = "http_hello"
http_port = "$HTTP_PORT"
ws_port = "$WS_PORT"
http_agents = 4
cpath = root .. "cservice/?.so"
luaservice = root .. "service/?.lua;" .. root .. "test/bench/?.lua"
lualoader = root .. "lualib/loader.lua"
lua_path = root .. "lualib/?.lua;" .. root .. "lualib/?/init.lua"
lua_cpath = root .. "luaclib/?.so"
