-- The reading side of a skynet.sharedata.catalog (skynet.sharedata and
-- skynet.datasheet read through it).
--
-- reader.new(address, eager) gives { query, flush, deepcopy } for the
-- service at address() (a function, so the service is found on first use).
-- query(name) gives a read-only table (a skynet.sharedata.core proxy) that
-- follows updates: a thread of this service waits for each new version of
-- name while the table lives.  A new version is shown from the next read on;
-- with eager, the old one is also let go at once (else when the table is
-- next read), so it is freed as soon as every reader has it.  A read that
-- does not yield never sees two versions.  One table per name per service,
-- held weakly: dropping it ends its thread and lets its version go.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"

local reader = {}

function reader.new(address, eager)
	local cache = setmetatable({}, { __mode = "v" }) -- name -> root proxy

	-- the service answers true, ... or false, message
	local function request(...)
		local r = table.pack(skynet.call(address(), "lua", ...))
		if not r[1] then
			error(r[2], 3)
		end
		return table.unpack(r, 2, r.n)
	end

	local function confirm(id)
		skynet.send(address(), "lua", "confirm", id)
	end

	-- hands version id to the proxy if this service still holds it
	local function deliver(holder, id)
		local obj = holder[1]
		if obj then
			core.update(obj, id)
			if eager then
				core.flush(obj)
			end
		end
		confirm(id)
		return obj ~= nil
	end

	local function monitor(name, holder, id)
		while true do
			local newid = request("monitor", name, id)
			if newid == nil or not deliver(holder, newid) then
				break -- removed (the proxy keeps its last version), or dropped
			end
			id = newid
		end
		if cache[name] == holder[1] then
			cache[name] = nil
		end
	end

	local r = {}

	function r.query(name)
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

	-- switches every table this service holds to its newest version
	function r.flush()
		for _, obj in pairs(cache) do
			core.flush(obj)
		end
		collectgarbage()
	end

	-- a plain, writable copy of name's table (or of the value at the keys ...)
	function r.deepcopy(name, ...)
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

	-- forgets name here (other services forget it when their thread hears)
	function r.forget(name)
		cache[name] = nil
	end

	r.request = request
	return r
end

return reader
