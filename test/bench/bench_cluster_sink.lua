-- The service the cluster benchmark calls on the server node: answers
-- calls, counts one-way messages; "rss" answers the node's peak RSS (KB)
-- from the sampler given as argument.
local skynet = require "skynet"

local sampler = tonumber((...))
local received = 0
local CMD = {}

function CMD.rss()
	return (skynet.call(sampler, "lua"))
end

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
