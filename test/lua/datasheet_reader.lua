-- A reader of skynet.datasheet for test_datasheet.  "watch" reads the sheet
-- NAME over and over (each full read without yielding, then a yield) until
-- "stop"; every value of a version is that version's number, so a read that
-- mixes versions is caught.  "dump" answers the sheet as lines, as skynet's
-- testdatasheet prints it.
local skynet = require "skynet"
local datasheet = require "skynet.datasheet"
local memory = require "skynet.memory"
local R = require "reader_lib"

local CMD = {}

R.watch_commands(CMD, R.versioned_table(datasheet.query, 100))
R.hold_commands(CMD, datasheet.query)

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

function CMD.dump(name, prefix)
	skynet.retpack(lines(datasheet.query(name), prefix, {}))
end

local kept -- the sheet readall reads, kept past its answer

-- holds the sheet and reads every value of it: answers how many values and
-- how much this VM grew (a private copy would grow it by the sheet's size)
function CMD.readall(name)
	collectgarbage()
	local before = memory.current()
	kept = datasheet.query(name)
	local n = 0
	for _, row in pairs(kept.rows) do
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

R.serve(CMD)
