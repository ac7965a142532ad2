-- A reader of skynet.sharetable for test_sharetable and bench_sharetable:
-- "read" queries a table and reads every value in it (keeping the table),
-- "update" switches it to the newest version, "drop" lets it go.
local skynet = require "skynet"
local sharetable = require "skynet.sharetable"
local R = require "reader_lib"

local held = {}

-- visits every value under t; returns how many and a checksum of the numbers
local function walk(t)
	local n, sum = 0, 0
	for _, v in pairs(t) do
		n = n + 1
		if type(v) == "table" then
			local n2, s2 = walk(v)
			n, sum = n + n2, sum + s2
		elseif math.type(v) == "integer" then
			sum = sum + v
		end
	end
	return n, sum
end

local CMD = {}

function CMD.read(name)
	held[name] = sharetable.query(name)
	local n, sum = walk(held[name])
	collectgarbage()
	skynet.retpack(n, sum)
end

function CMD.reread(name)
	skynet.retpack(walk(held[name]))
end

function CMD.update(name)
	sharetable.update(name)
	skynet.retpack(walk(held[name]))
end

function CMD.drop(name)
	held[name] = nil
	collectgarbage()
	collectgarbage()
	skynet.retpack(true)
end

R.serve(CMD)
