-- Answers with tracebacks taken at different depths (test_traceback).
local skynet = require "skynet"
local mod = require "traceback_mod"

local command = {}

local function deep(depth)
	if depth == 0 then
		return debug.traceback("here")
	end
	local r = deep(depth - 1)
	return r
end

function command.direct()
	return mod.through(deep, 3)
end

-- after a sleep: the thread was suspended and resumed by a timer message
function command.after_sleep()
	skynet.sleep(1)
	return mod.through(deep, 2)
end

-- an error caught with its traceback, inside a fork
function command.error_in_fork()
	local co = coroutine.running()
	local result
	skynet.fork(function()
		local _, tb = xpcall(mod.through, debug.traceback, function()
			local t = nil
			return t.field
		end)
		result = tb
		skynet.wakeup(co)
	end)
	skynet.wait(co)
	return result
end

-- the traceback the debug console shows of a waiting thread
function command.waiting_task()
	local session
	skynet.fork(function()
		mod.through(skynet.sleep, 100)
	end)
	skynet.yield()
	local tasks = {}
	skynet.task(tasks)
	for s in pairs(tasks) do
		session = s
	end
	return tasks[session]
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd)
		skynet.ret(skynet.pack(command[cmd]()))
	end)
end)
