-- A reader of skynet.sharedata for test_sharedata: "watch" reads the table
-- NAME over and over (each full read without yielding, then a yield) until
-- told to "stop"; every value of a version is that version's number, so a
-- read that mixes versions is caught.
local skynet = require "skynet"
local sharedata = require "skynet.sharedata"

local running = false
local report = { reads = 0, torn = 0, versions = 0, last = -1, backwards = 0 }

-- reads every value of t (nested too); returns the version they agree on, or nil
local function full_read(t)
	local v = t.version
	local ok = true
	for i = 1, #t.list do
		ok = ok and t.list[i] == v
	end
	for k, x in pairs(t.map) do
		ok = ok and x == v and k:sub(1, 1) == "k"
	end
	ok = ok and t.nested.deep.value == v
	return ok and v or nil
end

local function watch(name)
	local t = sharedata.query(name)
	while running do
		local v = full_read(t)
		report.reads = report.reads + 1
		if v == nil then
			report.torn = report.torn + 1
		elseif v ~= report.last then
			if v < report.last then
				report.backwards = report.backwards + 1
			end
			report.versions = report.versions + 1
			report.last = v
		end
		skynet.sleep(0)
	end
end

local CMD = {}

function CMD.watch(name)
	running = true
	skynet.fork(watch, name)
	skynet.retpack(true)
end

function CMD.stop()
	running = false
	skynet.sleep(1)
	skynet.retpack(report)
end

-- holds the table of name (and a nested part of it) and answers one value
function CMD.hold(name)
	CMD.held = sharedata.query(name)
	CMD.held_child = CMD.held.nested
	skynet.retpack(CMD.held.version)
end

function CMD.drop()
	CMD.held, CMD.held_child = nil, nil
	collectgarbage()
	collectgarbage()
	skynet.retpack(true)
end

function CMD.read_held()
	skynet.retpack(CMD.held.version, CMD.held_child.deep.value)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		CMD[cmd](...)
	end)
end)
