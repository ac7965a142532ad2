-- The node every benchmark boots: BENCH names the benchmark service
-- (test/bench/bench_NAME.lua), which prints its figures and aborts the node.
root = "./"
thread = 2
harbor = 0
logger = nil
bootstrap = "snlua bootstrap"
start = "$BENCH"
cpath = root .. "cservice/?.so"
luaservice = root .. "service/?.lua;" .. root .. "test/bench/?.lua"
lualoader = root .. "lualib/loader.lua"
lua_path = root .. "lualib/?.lua;" .. root .. "lualib/?/init.lua;" .. root .. "test/bench/?.lua"
lua_cpath = root .. "luaclib/?.so"
