-- The trivial service bench_spawn starts by the thousand: it starts and idles.
local skynet = require "skynet"

skynet.start(function() end)
