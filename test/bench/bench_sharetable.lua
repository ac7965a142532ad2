-- Shared tables: the data is stored once per node, not once per reader.
-- 200 services query and fully read a ~5 MB sharetable; the node's RSS
-- growth over 200 idle services is the cost of sharing (a private copy
-- would cost each reader about the figure sharetable_private_copy_mb).
-- (The 1 MB table's read times and RSS per reader: bench_shared_1mb.)
local skynet = require "skynet"
local sharetable = require "skynet.sharetable"
local sharedata = require "skynet.sharedata"
local core = require "skynet.sharedata.core"
local B = require "benchlib"
local S = require "sharedbench"

local READERS = 200

B.run(function()
	skynet.uniqueservice "sharedatad"
	local stored0 = core.stat().bytes
	sharetable.loadstring("big", S.records(6000))
	local stored = core.stat().bytes - stored0
	B.report("sharetable_stored_mb", stored / 1048576)

	local readers = S.readers(READERS)
	local idle, idle_bytes = S.settle(readers)
	local median = S.read_all(readers, "sharetable", "big", 6000 * S.VALUES_PER_RECORD)
	local loaded, loaded_bytes = S.settle(readers)
	B.report("sharetable_200_readers_allocated_mb", (loaded_bytes - idle_bytes) / 1048576)
	B.report("sharetable_200_readers_rss_mb", (loaded - idle) / 1024)
	B.report("sharetable_rss_kb_per_reader", (loaded - idle) / READERS)
	B.report("sharetable_5mb_full_read_ms", median * 1000)
	B.report("sharetable_stored_after_reads_mb", (core.stat().bytes - stored0) / 1048576)

	sharedata.new("big", S.records(6000))
	B.report("sharetable_private_copy_mb", skynet.call(readers[1], "lua", "copy", "big") / 1048576)
end)
