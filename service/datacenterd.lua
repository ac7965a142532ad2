-- datacenterd: the network-wide tree of values behind skynet.datacenter,
-- one per harbor-mode network (on the master's node) or lone node, known
-- by the global name DATACENTER.
--   QUERY k1 k2 ...        the value at that path, or nil
--   UPDATE k1 ... kn value sets it (making the tables on the way); returns
--                          the old value; a value set where there was none
--                          answers the WAITs on that path
--   WAIT k1 k2 ...         the value at the path, once there is one; a
--                          WAIT above a path that gets set fails
local skynet = require "skynet"

local data = {}
local QUEUE = {} -- key of the flag that tells waiters from a branch of them
local waiting = {} -- the WAIT callers: a tree shaped like the paths waited on

local function get(node, key, ...)
	if node == nil or key == nil then
		return node
	end
	return get(node[key], ...)
end

-- sets path ... = value under node; returns the old value and value
local function set(node, key, value, ...)
	if select("#", ...) == 0 then
		local old = node[key]
		node[key] = value
		return old, value
	end
	if node[key] == nil then
		node[key] = {}
	end
	return set(node[key], value, ...)
end

-- the waiters of the path (its last element the value), taken out of the
-- tree; waiters on a prefix of a longer path fail
local function take_waiters(node, key, ...)
	local q = node and node[key]
	if key == nil or q == nil then
		return
	end
	if not q[QUEUE] then
		return take_waiters(q, ...)
	end
	node[key] = nil
	if select("#", ...) == 1 then
		return q
	end
	for _, response in ipairs(q) do
		response(false)
	end
end

local function add_waiter(node, key, nextkey, ...)
	local q = node[key]
	local leaf = nextkey == nil
	if q == nil then
		q = { [QUEUE] = leaf }
		node[key] = q
	end
	assert(q[QUEUE] == leaf, "datacenter: a wait path crosses another")
	if leaf then
		q[#q + 1] = skynet.response()
	else
		return add_waiter(q, nextkey, ...)
	end
end

local command = {}

function command.QUERY(key, ...)
	return get(data[key], ...)
end

function command.UPDATE(...)
	local old, value = set(data, ...)
	if old == nil and value ~= nil then
		local q = take_waiters(waiting, ...)
		for _, response in ipairs(q or {}) do
			response(true, value)
		end
	end
	return old
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		if cmd == "WAIT" then
			local value = command.QUERY(...)
			if value ~= nil then
				return skynet.retpack(value)
			end
			return add_waiter(waiting, ...)
		end
		local f = assert(command[cmd], cmd)
		skynet.retpack(f(...))
	end)
end)
