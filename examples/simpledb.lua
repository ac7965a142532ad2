-- simpledb: a key-value store service.  "lua" commands: get key, set key
-- value (returns the old value).  Registered as .simpledb.
local skynet = require "skynet"
require "skynet.manager"

local db = {}
local command = {}

function command.get(key)
	return db[key]
end

function command.set(key, value)
	local old = db[key]
	db[key] = value
	return old
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = command[string.lower(cmd)]
		if f then
			skynet.ret(skynet.pack(f(...)))
		else
			error("simpledb: unknown command " .. tostring(cmd))
		end
	end)
	skynet.register ".simpledb"
end)
