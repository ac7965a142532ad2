-- A reader of skynet.datasheet for test_datasheet.  "watch" reads the sheet
-- NAME over and over (each full read without yielding, then a yield) until
-- "stop"; every value of a version is that version's number, so a read that
-- mixes versions is caught.  "dump" answers the sheet as lines, as skynet's
-- testdatasheet prints it.
local skynet = require "skynet"
local datasheet = require "skynet.datasheet"
local memory = require "skynet.memory"

local running = false
local report = { reads = 0, torn = 0, versions = 0, last = -1, backwards = 0 }

-- reads every value of t (nested too); returns the version they agree on, or nil
local function full_read(t)
	local v = t.version
	local ok = #t.list == 100
	for i, x in ipairs(t.list) do
		ok = ok and x == v and i <= 100
	end
	for k, x in pairs(t.map) do
		ok = ok and x == v and k:sub(1, 1) == "k"
	end
	ok = ok and t.nested.deep.value == v
	return ok and v or nil
end

local function watch(name)
	local t = datasheet.query(name)
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

local function lines(t, prefix, out)
	local keys = {}
	for k in pairs(t) do
		keys[#keys + 1] = k
	end
	table.sort(keys, function(a, b)
		return tostring(a) < tostring(b)
	end)
	for _, k in ipairs(keys) do
		local v = t[k]
		out[#out + 1] = prefix .. " " .. tostring(k) .. " " .. (type(v) == "table" and "table" or tostring(v))
		if type(v) == "table" then
			lines(v, prefix .. "." .. k, out)
		end
	end
	return out
end

local CMD = {}
local held

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

function CMD.dump(name, prefix)
	skynet.retpack(lines(datasheet.query(name), prefix, {}))
end

-- holds the sheet (and a nested part of it) and answers one value
function CMD.hold(name)
	held = { datasheet.query(name) }
	held[2] = held[1].nested
	skynet.retpack(held[1].version)
end

function CMD.read_held()
	skynet.retpack(held[1].version, held[2].deep.value)
end

function CMD.drop()
	held = nil
	collectgarbage()
	collectgarbage()
	skynet.retpack(true)
end

-- holds the sheet and reads every value of it: answers how many values and
-- how much this VM grew (a private copy would grow it by the sheet's size)
function CMD.readall(name)
	collectgarbage()
	local before = memory.current()
	held = { datasheet.query(name) }
	local n = 0
	for _, row in pairs(held[1].rows) do
		for _, v in pairs(row) do
			n = n + (type(v) == "string" and #v or v)
		end
	end
	collectgarbage()
	skynet.retpack(n, memory.current() - before)
end

function CMD.query(name)
	skynet.retpack(pcall(datasheet.query, name))
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		CMD[cmd](...)
	end)
end)
