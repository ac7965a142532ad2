-- The example node: `make run` (or ./skynet examples/config.lua).
root = "./"
thread = 2
harbor = 0
logger = nil -- nil: stdout; a file name to log to a file
-- logpath = "/tmp" -- where the console's `logon` writes per-service message logs
bootstrap = "snlua bootstrap"
start = "main"
cpath = root .. "cservice/?.so"
luaservice = root .. "service/?.lua;" .. root .. "examples/?.lua"
lualoader = root .. "lualib/loader.lua"
lua_path = root .. "lualib/?.lua;" .. root .. "lualib/?/init.lua"
lua_cpath = root .. "luaclib/?.so"
console_port = 8000 -- the debug console (telnet 127.0.0.1 8000)
