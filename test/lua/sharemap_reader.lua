-- A reader of skynet.sharemap for test_sharemap: "init" makes the reader
-- from a ticket, "ping" updates it and answers its fields (skynet's testsm
-- slave prints them), "watch"/"stop" update it in a loop and count reads
-- whose fields do not belong to one commit.
local skynet = require "skynet"
local sharemap = require "skynet.sharemap"

local reader
local running = false
local report = { reads = 0, updates = 0, torn = 0, last = -1, backwards = 0 }

local function watch()
	while running do
		local changed = reader:update()
		report.reads = report.reads + 1
		if changed then
			report.updates = report.updates + 1
			local t = reader.tick
			local list = reader.list
			local ok = reader.neg == -t and reader.label == "tick " .. t and #list == t % 50
			for i = 1, #list do
				ok = ok and list[i] == t
			end
			if not ok then
				report.torn = report.torn + 1
			end
			if t < report.last then
				report.backwards = report.backwards + 1
			end
			report.last = t
		end
		skynet.sleep(0)
	end
end

local CMD = {}

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

function CMD.watch()
	running = true
	skynet.fork(watch)
	skynet.retpack(true)
end

function CMD.stop()
	running = false
	skynet.sleep(1)
	skynet.retpack(report)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		CMD[cmd](...)
	end)
end)
