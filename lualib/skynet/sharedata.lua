-- skynet.sharedata: read-only tables held once per node (in C, by the
-- service sharedatad) and read by any service without copying them.
--
-- query(name) gives a read-only table that follows updates: after
-- update(name, ...), each reader switches to the new version the next time
-- it reads the table (so a read that does not yield sees one version), and
-- the old version is freed when its last reader has switched (flush() makes
-- this service switch everything it holds at once).  The reading side is
-- skynet.sharedata.reader.
local skynet = require "skynet"
local reader = require "skynet.sharedata.reader"

local service

skynet.init(function()
	service = skynet.uniqueservice "sharedatad"
end)

local r = reader.new(function()
	return service
end)
local request = r.request

local sharedata = {
	query = r.query,
	flush = r.flush,
	deepcopy = r.deepcopy, -- a plain, writable copy of name's table (or of the value at the keys ...)
}

function sharedata.new(name, v, ...)
	request("new", name, v, ...)
end

function sharedata.update(name, v, ...)
	request("update", name, v, ...)
end

function sharedata.delete(name)
	request("delete", name)
	r.forget(name)
end

-- counters of the documents alive in the process: docs, bytes, built, freed, names
function sharedata.stat()
	return request "stat"
end

return sharedata
