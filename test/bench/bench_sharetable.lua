-- Shared tables: the data is stored once per node, not once per reader.
-- 200 services query and fully read a ~5 MB sharetable; the node's RSS
-- growth over 200 idle services is the cost of sharing (a private copy
-- would cost each reader about the figure sharetable_private_copy_mb).
-- Also: query + full read of a ~1 MB table through sharedata and sharetable.
local skynet = require "skynet"
local sharetable = require "skynet.sharetable"
local sharedata = require "skynet.sharedata"
local core = require "skynet.sharedata.core"
local memory = require "skynet.memory"
local B = require "benchlib"

local READERS = 200

-- Lua source building a table of n records of about 500 stored bytes each
local function records(n)
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

-- RSS (KB) and allocated bytes once every Lua service has collected its
-- garbage (sharetabled's included: it built the tables) and the allocator
-- has returned freed pages (jemalloc purges after 10 s)
local function settle(readers)
	collectgarbage()
	local services = { skynet.uniqueservice "sharetabled", skynet.uniqueservice "sharedatad", table.unpack(readers) }
	for _, s in ipairs(services) do
		skynet.send(s, "debug", "GC")
		skynet.call(s, "debug", "MEM") -- answered after the collection
	end
	skynet.sleep(1100)
	return B.rss_kb(), memory.total()
end

-- every reader reads name; returns the median seconds of a read
local function read_all(readers, lib, name, values)
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

B.run(function()
	skynet.uniqueservice "sharedatad"
	local stored0 = core.stat().bytes
	sharetable.loadstring("big", records(6000))
	local stored = core.stat().bytes - stored0
	B.report("sharetable_stored_mb", stored / 1048576)

	local readers = {}
	for i = 1, READERS do
		readers[i] = skynet.newservice("sharetable_reader")
	end
	local idle, idle_bytes = settle(readers)
	local median = read_all(readers, "sharetable", "big", 6000 * 13)
	local loaded, loaded_bytes = settle(readers)
	B.report("sharetable_200_readers_allocated_mb", (loaded_bytes - idle_bytes) / 1048576)
	B.report("sharetable_200_readers_rss_mb", (loaded - idle) / 1024)
	B.report("sharetable_rss_kb_per_reader", (loaded - idle) / READERS)
	B.report("sharetable_5mb_full_read_ms", median * 1000)
	B.report("sharetable_stored_after_reads_mb", (core.stat().bytes - stored0) / 1048576)

	sharedata.new("big", records(6000))
	B.report("sharetable_private_copy_mb", skynet.call(readers[1], "lua", "copy", "big") / 1048576)

	-- query + full read of a ~1 MB table
	sharetable.loadstring("small", records(2000))
	sharedata.new("small", records(2000))
	local few = { table.unpack(readers, 1, 20) }
	B.report("sharetable_1mb_query_full_read_ms", read_all(few, "sharetable", "small", 2000 * 13) * 1000)
	B.report("sharedata_1mb_query_full_read_ms", read_all(few, "sharedata", "small", 2000 * 13) * 1000)
end)
