-- The node every Lua test boots: TEST names the test service (test/lua/).
root = "./"
thread = 2
harbor = 0
logger = nil
bootstrap = "snlua bootstrap"
start = "$TEST"
cpath = root .. "cservice/?.so"
luaservice = root .. "service/?.lua;" .. root .. "test/lua/?.lua;" .. root .. "examples/?.lua"
lualoader = root .. "lualib/loader.lua"
lua_path = root .. "lualib/?.lua;" .. root .. "lualib/?/init.lua;" .. root .. "test/lua/?.lua"
lua_cpath = root .. "luaclib/?.so"
snax = root .. "test/snax/?.lua"
