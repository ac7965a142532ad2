-- skynet.sharedata: read-only tables held once per node (in C, by the
-- service sharedatad) and read by any service without copying them.
--
-- query(name) gives a read-only table that follows updates: after
-- update(name, ...), each reader switches to the new version the next time
-- it reads the table (so a read that does not yield sees one version), and
-- the old version is freed when its last reader has switched (flush() makes
-- this service switch everything it holds at once).
local skynet = require "skynet"
local core = require "skynet.sharedata.core"

local service

skynet.init(function()
	service = skynet.uniqueservice "sharedatad"
end)

local sharedata = {}
local cache = setmetatable({}, { __mode = "v" }) -- name -> root proxy

-- sharedatad answers true, ... or false, message
local function request(...)
	local r = table.pack(skynet.call(service, "lua", ...))
	if not r[1] then
		error(r[2], 3)
	end
	return table.unpack(r, 2, r.n)
end

local function confirm(id)
	skynet.send(service, "lua", "confirm", id)
end

-- hands version id to the proxy if this service still holds it; the proxy
-- is held weakly, so dropping it frees it (and ends the monitor)
local function deliver(holder, id)
	local obj = holder[1]
	if obj then
		core.update(obj, id)
	end
	confirm(id)
	return obj ~= nil
end

-- waits for each new version of name while the proxy lives
local function monitor(name, holder, id)
	while true do
		local newid = request("monitor", name, id)
		if newid == nil or not deliver(holder, newid) then
			break -- deleted (the proxy keeps its last version), or dropped
		end
		id = newid
	end
	if cache[name] == holder[1] then
		cache[name] = nil
	end
end

function sharedata.query(name)
	local obj = cache[name]
	if obj then
		return obj
	end
	local id = request("query", name)
	obj = cache[name] -- another thread may have asked meanwhile
	if obj then
		confirm(id)
		return obj
	end
	obj = core.box(id)
	confirm(id)
	cache[name] = obj
	skynet.fork(monitor, name, setmetatable({ obj }, { __mode = "v" }), id)
	return obj
end

function sharedata.new(name, v, ...)
	request("new", name, v, ...)
end

function sharedata.update(name, v, ...)
	request("update", name, v, ...)
end

function sharedata.delete(name)
	request("delete", name)
	cache[name] = nil -- other services forget it when their monitor hears
end

-- switches every table this service holds to its newest version
function sharedata.flush()
	for _, obj in pairs(cache) do
		core.flush(obj)
	end
	collectgarbage()
end

-- a plain, writable copy of name's table (or of the value at the keys ...)
function sharedata.deepcopy(name, ...)
	local obj = cache[name]
	if obj then
		return core.copy(obj, ...)
	end
	local id = request("query", name)
	local ok, ret = pcall(core.copy, id, ...)
	confirm(id)
	if not ok then
		error(ret)
	end
	return ret
end

-- counters of the documents alive in the process: docs, bytes, built, freed, names
function sharedata.stat()
	return request "stat"
end

return sharedata
