-- What the shared-data reader services of the tests have in common
-- (sharedata_reader, datasheet_reader, sharemap_reader): a "watch" loop that
-- reads over and over while a writer publishes and counts the reads that mix
-- versions or go backwards, "hold"/"read_held"/"drop" of one table, and the
-- dispatch of the commands.
local skynet = require "skynet"

local R = {}

-- Adds CMD.watch(...), CMD.last() and CMD.stop() (which answers the
-- report, kept across watches).
-- CMD.watch calls start(...), which returns sample: sample() reads once
-- without yielding and returns the version read, false when the read mixed
-- versions, or nil when there was nothing new.
function R.watch_commands(CMD, start)
	local running = false
	local report = { reads = 0, torn = 0, versions = 0, last = -1, backwards = 0 }
	local function loop(sample)
		while running do
			local v = sample()
			report.reads = report.reads + 1
			if v == false then
				report.torn = report.torn + 1
			elseif v ~= nil and v ~= report.last then
				if v < report.last then
					report.backwards = report.backwards + 1
				end
				report.versions = report.versions + 1
				report.last = v
			end
			skynet.sleep(0)
		end
	end
	function CMD.watch(...)
		running = true
		skynet.fork(loop, start(...))
		skynet.retpack(true)
	end
	-- the last version seen so far
	function CMD.last()
		skynet.retpack(report.last)
	end
	function CMD.stop()
		running = false
		skynet.sleep(1)
		skynet.retpack(report)
	end
end

-- The tables the writers publish hold their version number in every value:
-- { version = v, list = { v, ... }, map = { k... = v }, nested = { deep = { value = v } } }.
-- A start function for watch_commands: it queries name and samples by
-- reading every value; list_len, when given, is the length list must have.
function R.versioned_table(query, list_len)
	return function(name)
		local t = query(name)
		return function()
			local v = t.version
			local ok, n = true, 0
			for i, x in ipairs(t.list) do
				ok, n = ok and x == v, i
			end
			ok = ok and n == #t.list and (list_len == nil or n == list_len)
			for k, x in pairs(t.map) do
				ok = ok and x == v and k:sub(1, 1) == "k"
			end
			return ok and t.nested.deep.value == v and v
		end
	end
end

-- Adds CMD.hold(name) (keeps query(name) and its .nested part, answers its
-- version), CMD.read_held() (the held version and nested.deep.value, read
-- now) and CMD.drop() (lets both go and collects).
function R.hold_commands(CMD, query)
	local held, held_child
	function CMD.hold(name)
		held = query(name)
		held_child = held.nested
		skynet.retpack(held.version)
	end
	function CMD.read_held()
		skynet.retpack(held.version, held_child.deep.value)
	end
	function CMD.drop()
		held, held_child = nil, nil
		collectgarbage()
		collectgarbage()
		skynet.retpack(true)
	end
end

-- every message of type lua is a command: CMD[cmd](...) answers it
function R.serve(CMD)
	skynet.start(function()
		skynet.dispatch("lua", function(_, _, cmd, ...)
			CMD[cmd](...)
		end)
	end)
end

return R
