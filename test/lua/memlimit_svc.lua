-- A service with a 4 MB memory limit ("alloc" n allocates about n KB).
local skynet = require "skynet"

skynet.memlimit(4 * 1024 * 1024)

local function allocate(kbytes)
	local t = {}
	for i = 1, kbytes do
		t[i] = string.rep("x", 1000) .. i
	end
	return #t
end

local CMD = {}

function CMD.alloc(kbytes)
	skynet.retpack(allocate(kbytes))
end

function CMD.try_alloc(kbytes)
	local ok, err = pcall(allocate, kbytes)
	collectgarbage()
	skynet.retpack(ok, err)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		CMD[cmd](...)
	end)
end)
