-- skynet.queue: a critical section for the coroutines of one service.
--   local cs = queue()
--   cs(f, ...)  runs f(...) after every f queued before it has finished,
--               even when those yield (call, sleep); nested use from the
--               same coroutine does not deadlock
local skynet = require "skynet"

local coroutine_running = coroutine.running
local traceback = debug.traceback

return function()
	local current_thread
	local depth = 0
	local waiting = {}

	local function leave(ok, ...)
		depth = depth - 1
		if depth == 0 then
			current_thread = table.remove(waiting, 1)
			if current_thread then
				skynet.wakeup(current_thread)
			end
		end
		if not ok then
			error((...), 0)
		end
		return ...
	end

	return function(f, ...)
		local thread = coroutine_running()
		if current_thread and current_thread ~= thread then
			waiting[#waiting + 1] = thread
			skynet.wait(thread)
			assert(depth == 0)
		end
		current_thread = thread
		depth = depth + 1
		return leave(xpcall(f, traceback, ...))
	end
end
