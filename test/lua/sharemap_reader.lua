-- A reader of skynet.sharemap for test_sharemap: "init" makes the reader
-- from a ticket, "ping" updates it and answers its fields (skynet's testsm
-- slave prints them), "watch"/"stop" update it in a loop and count reads
-- whose fields do not belong to one commit.
local skynet = require "skynet"
local sharemap = require "skynet.sharemap"
local R = require "reader_lib"

local reader

local CMD = {}

-- commit t has neg = -t, label "tick t" and a list of t % 50 copies of t
R.watch_commands(CMD, function()
	return function()
		if not reader:update() then
			return nil
		end
		local t = reader.tick
		local list = reader.list
		local ok = reader.neg == -t and reader.label == "tick " .. t and #list == t % 50
		for i = 1, #list do
			ok = ok and list[i] == t
		end
		return ok and t
	end
end)

function CMD.init(typename, ticket)
	reader = sharemap.reader(typename, ticket)
	skynet.retpack(true)
end

function CMD.ping()
	local changed = reader:update()
	skynet.retpack(changed, reader.x, reader.y, reader.s)
end

function CMD.write()
	skynet.retpack(pcall(function()
		reader.x = 1
	end))
end

R.serve(CMD)
