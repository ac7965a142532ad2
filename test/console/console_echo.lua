-- A service for the console tests: answers "lua" calls from CMD, reports
-- an info table, and has a function the debugger tests stop in.
local skynet = require "skynet"
require "skynet.manager"

local CMD = {}
local hits = 0

function CMD.ping()
	return "pong"
end

function CMD.echo(...)
	return ...
end

function CMD.add(a, b)
	local sum = a + b -- BREAK HERE
	hits = hits + 1
	return sum
end

function CMD.big(n)
	return string.rep("x", n)
end

-- keeps the service's worker for ms milliseconds (it answers nothing meanwhile)
function CMD.busy(ms)
	local t0 = skynet.hpc()
	while skynet.hpc() - t0 < ms * 1000000 do end
	return ms
end

function CMD.hits()
	return hits
end

-- n coroutines waiting in skynet.sleep, so that `task` lists something
function CMD.park(n)
	for _ = 1, n do
		skynet.fork(skynet.sleep, 100000)
	end
	return n
end

skynet.info_func(function(what)
	return { hits = hits, what = what }
end)

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(CMD[cmd], cmd)
		skynet.ret(skynet.pack(f(...)))
	end)
	skynet.register ".echo"
end)
