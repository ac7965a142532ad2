-- A service with state: adds numbers and tells the total.
local skynet = require "skynet"

local total = 0
local command = {}

function command.add(n)
	total = total + n
	return total
end

function command.get()
	return total
end

skynet.start(function()
	skynet.dispatch("lua", function(session, source, cmd, ...)
		local f = assert(command[cmd], "unknown command")
		local r = f(...)
		if session ~= 0 then
			skynet.retpack(r)
		end
	end)
end)
