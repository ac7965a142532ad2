-- service_cell: runs one skynet.service main function.  The provider sends
-- "init" with the function's bytecode and arguments; the main function's
-- skynet.start body runs at once (the cell itself has already started).
local skynet = require "skynet"

local name = ...
local cell = {}

function cell.init(code, ...)
	local start_body
	skynet.start = function(f)
		start_body = f
	end
	skynet.dispatch("lua", function()
		error("service " .. tostring(name) .. " has no lua dispatcher")
	end)
	local main = assert(load(code, "=" .. tostring(name), "b"))
	assert(skynet.pcall(main, ...))
	if start_body then
		assert(skynet.pcall(start_body))
	end
	skynet.ret()
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, command, ...)
		local f = cell[command]
		if f == nil then
			error("service_cell " .. tostring(name) .. " is not initialized yet")
		end
		cell[command] = nil -- init runs once: afterwards the main function's dispatcher serves
		f(...)
	end)
end)
