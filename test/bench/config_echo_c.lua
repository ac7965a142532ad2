-- The node of the echo benchmark's ceiling (test/bench_echo.sh): the node
-- of config_echo.lua, with the C echo service (built in $BENCH_CSERVICE)
-- instead of the Lua one.
include "config_echo.lua"
start = "echo_c_start"
cpath = root .. "cservice/?.so;$BENCH_CSERVICE/?.so"
