-- A ~1 MB read-only table shared through sharetable and through sharedata:
-- READERS services each query it and read every value (median ms of a
-- query + full read), and the RSS each reader adds while it holds the
-- table (node RSS growth over the same idle services, per reader).  Other
-- readers for each library, so neither one's figure includes the other's.
local skynet = require "skynet"
local sharetable = require "skynet.sharetable"
local sharedata = require "skynet.sharedata"
local B = require "benchlib"
local S = require "sharedbench"

local READERS = 50
local RECORDS = 2000

B.run(function()
	local source = S.records(RECORDS)
	sharetable.loadstring("t1mb", source)
	sharedata.new("t1mb", source)
	local values = RECORDS * S.VALUES_PER_RECORD
	local by_table, by_data = S.readers(READERS), S.readers(READERS)
	local all = { table.unpack(by_table) }
	table.move(by_data, 1, READERS, READERS + 1, all)

	local idle = S.settle(all)
	local ms = S.read_all(by_table, "sharetable", "t1mb", values) * 1000
	local after_table = S.settle(all)
	B.report("sharetable_1mb_query_full_read_ms", ms)
	B.report("sharetable_1mb_rss_kb_per_reader", (after_table - idle) / READERS)

	ms = S.read_all(by_data, "sharedata", "t1mb", values) * 1000
	local after_data = S.settle(all)
	B.report("sharedata_1mb_query_full_read_ms", ms)
	B.report("sharedata_1mb_rss_kb_per_reader", (after_data - after_table) / READERS)
end)
