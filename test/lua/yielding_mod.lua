-- A module whose loading blocks in the framework (skynet.sleep); it counts
-- how many times its body ran.
local skynet = require "skynet"

YIELDING_MOD_LOADS = (YIELDING_MOD_LOADS or 0) + 1
skynet.sleep(5)
return { loaded_at = skynet.now() }
