-- The service the cluster benchmark calls on the server node: answers
-- calls, counts one-way messages.
local skynet = require "skynet"

local received = 0
local CMD = {}

function CMD.echo(...)
	return ...
end

function CMD.size(s)
	return #s
end

function CMD.count()
	return received
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, ...)
		if session == 0 then
			received = received + 1 -- a one-way message
		else
			skynet.retpack(CMD[cmd](...))
		end
	end)
end)
