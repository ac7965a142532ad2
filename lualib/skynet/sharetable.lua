-- skynet.sharetable: tables loaded once per node and read by every service
-- without a copy of their own.
--
-- skynet shares the Lua table itself through its patched VM; on stock Lua
-- the data lives once in C (skynet.sharedata.core, owned by the service
-- sharetabled) and query gives a read-only table that reads it.  A table
-- keeps the version it was queried at until update(name) switches every
-- table of name this service holds (nested tables held included) to the
-- newest version; old versions are freed when no service holds them.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"

local service

local function address()
	if not service then
		service = skynet.uniqueservice "sharetabled"
	end
	return service
end

local function request(...)
	local r = table.pack(skynet.call(address(), "lua", ...))
	if not r[1] then
		error(r[2], 3)
	end
	return table.unpack(r, 2, r.n)
end

local sharetable = {}

-- name -> { [root proxy] = true } of the tables this service holds (weak)
local held = setmetatable({}, {
	__index = function(t, name)
		local set = setmetatable({}, { __mode = "k" })
		t[name] = set
		return set
	end,
})

function sharetable.loadfile(filename, ...)
	request("loadfile", filename, ...)
end

function sharetable.loadstring(name, source, ...)
	request("loadstring", name, source, ...)
end

function sharetable.loadtable(name, tbl)
	assert(type(tbl) == "table", "sharetable.loadtable needs a table")
	request("loadtable", name, tbl)
end

-- a table showing version id of name (one per version per service)
local function open(name, id)
	for t in pairs(held[name]) do
		if core.current(t) == id then
			return t
		end
	end
	local t = core.box(id)
	held[name][t] = true
	return t
end

local function take(name, id)
	local ok, t = pcall(open, name, id)
	skynet.send(address(), "lua", "confirm", id)
	if not ok then
		error(t)
	end
	return t
end

-- the table called name, or nil when nothing is loaded under that name
function sharetable.query(name)
	local id = request("query", name)
	if id then
		return take(name, id)
	end
end

-- { name = table } for the names listed, or for every name
function sharetable.queryall(names)
	local ids = request("queryall", names)
	local list = {}
	for name, id in pairs(ids) do
		list[name] = take(name, id)
	end
	return list
end

-- switches every table of the names given that this service holds to the
-- newest version
function sharetable.update(...)
	for i = 1, select("#", ...) do
		local name = select(i, ...)
		local id = request("query", name)
		if id then
			for t in pairs(held[name]) do
				if core.current(t) ~= id then
					core.update(t, id)
					core.flush(t)
				end
			end
			skynet.send(address(), "lua", "confirm", id)
		end
	end
end

return sharetable
