-- Our node in the interop check (cluster_ref.sh): START names the service.
include "../config.lua"
start = "$START"
luaservice = root .. "service/?.lua;" .. root .. "test/interop/?.lua;" .. root .. "examples/?.lua"
