-- Helpers of the shared-data benchmarks (bench_sharetable, bench_shared_1mb):
-- the table they share, the node's memory once settled, and timed reads by
-- sharetable_reader services.
local skynet = require "skynet"
local memory = require "skynet.memory"
local B = require "benchlib"

local S = {}

-- Lua source building n records of about 500 stored bytes each (2,000
-- records: about 1 MB), 13 values per record counting the nested ones
function S.records(n)
	return string.format([[
		local t = {}
		for i = 1, %d do
			t[i] = { id = i, name = "item" .. i, level = i %% 100, price = i * 0.5,
				text = string.format("%%08d", i) .. string.rep("abcdefghij", 9),
				stats = { i, i * 2, i * 3 }, flags = { rare = i %% 7 == 0, new = false } }
		end
		return t
	]], n)
end
S.VALUES_PER_RECORD = 13

-- RSS (KB) and allocated bytes once every Lua service has collected its
-- garbage (sharetabled's and sharedatad's included: they built the tables)
-- and the allocator has returned freed pages (the node asks jemalloc to
-- purge pages idle for 2 s, every second)
function S.settle(readers)
	collectgarbage()
	local services = { skynet.uniqueservice "sharetabled", skynet.uniqueservice "sharedatad", table.unpack(readers) }
	for _, s in ipairs(services) do
		skynet.send(s, "debug", "GC")
		skynet.call(s, "debug", "MEM") -- answered after the collection
	end
	skynet.sleep(350)
	return B.rss_kb(), memory.total()
end

-- every reader reads name through lib; returns the median seconds of a read
function S.read_all(readers, lib, name, values)
	local times = {}
	for i, r in ipairs(readers) do
		local n, seconds = skynet.call(r, "lua", "read", lib, name)
		if n ~= values then
			error(string.format("reader %d read %d values, want %d", i, n, values))
		end
		times[i] = seconds
	end
	table.sort(times)
	return times[#times // 2 + 1]
end

function S.readers(n)
	local list = {}
	for i = 1, n do
		list[i] = skynet.newservice "sharetable_reader"
	end
	return list
end

return S
