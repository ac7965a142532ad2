-- skynet.sharemap: a record of one sproto type that one service writes and
-- others read without messages (built on skynet.stm).
--
--   sharemap.register(file)        parses a sproto schema file into global
--                                  slot 0 (once per process, before writers
--                                  and readers are made)
--   w = sharemap.writer(type [, t])  a writer: read and assign fields as w.x;
--                                  w:commit() publishes them, w:copy() gives a
--                                  ticket (send it to one reader)
--   r = sharemap.reader(type, ticket)  a reader: fields r.x (read only) show
--                                  the value read last; r:update() reads the
--                                  newest (true, or false when nothing is new)
-- A commit is encoded once; readers decode it into their own table.
local stm = require "skynet.stm"
local sprotoloader = require "sprotoloader"

local SLOT = 0

local sharemap = {}

function sharemap.register(protofile)
	sprotoloader.register(protofile, SLOT)
end

local schema
local function proto()
	if schema == nil then
		schema = sprotoloader.load(SLOT)
	end
	return schema
end

local function commit(self)
	self.__obj(proto():encode(self.__typename, self.__data))
end

local function copy(self)
	return stm.copy(self.__obj)
end

function sharemap.writer(typename, init)
	local data = init or {}
	local w = {
		__typename = typename,
		__data = data,
		__obj = stm.new(proto():encode(typename, data)),
		commit = commit,
		copy = copy,
	}
	return setmetatable(w, { __index = data, __newindex = data })
end

-- refills the reader's table in place, so values read through it change
local function refill(msg, sz, self)
	local data = self.__data
	for k in pairs(data) do
		data[k] = nil
	end
	return proto():decode(self.__typename, msg, sz, data)
end

local function update(self)
	return self.__obj(refill, self)
end

local function readonly(_, k)
	error("sharemap: attempt to write field " .. tostring(k) .. " of a reader", 2)
end

function sharemap.reader(typename, ticket)
	local obj = stm.newcopy(ticket)
	local _, data = obj(function(msg, sz)
		return proto():decode(typename, msg, sz)
	end)
	data = data or {} -- nothing to read: the writer is gone
	local r = { __typename = typename, __obj = obj, __data = data, update = update }
	return setmetatable(r, { __index = data, __newindex = readonly })
end

return sharemap
