-- sharedatad: owns the shared documents of skynet.sharedata.
--
-- Each name has one current document (skynet.sharedata.core), referenced
-- once by this service; ids go to readers as skynet.sharedata.host says.
-- Readers wait in "monitor" for the next version of a name.  A document is
-- freed when its last reference goes: the last reader switching away from an
-- old version frees it, at once.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"
local host = require "skynet.sharedata.host"

local current = host.own {}  -- name -> id of its current document
local watchers = {} -- name -> { {source, response}, ... } of readers waiting for a new version

-- the table a value given to new/update stands for: a table, nil (empty), or
-- Lua source ("@file" names a file) run with the extra arguments, whose
-- globals, or the table it returns, are the data
local function build(name, v, ...)
	local kind = type(v)
	if kind == "table" then
		return v
	elseif kind == "nil" then
		return {}
	elseif kind ~= "string" then
		error("sharedata: unsupported data type " .. kind .. " for " .. tostring(name), 0)
	end
	local ret, globals
	if v:sub(1, 1) == "@" then
		ret, globals = host.run(name, nil, v:sub(2), ...)
	else
		ret, globals = host.run(name, v, nil, ...)
	end
	return type(ret) == "table" and ret or globals
end

local CMD = {}

function CMD.new(_, name, v, ...)
	if current[name] then
		error("sharedata: " .. tostring(name) .. " exists already", 0)
	end
	current[name] = core.new(build(name, v, ...))
	skynet.retpack(true)
end

function CMD.update(_, name, v, ...)
	local id = core.new(build(name, v, ...))
	local old = current[name]
	current[name] = id
	if old then
		core.decref(old)
	end
	local waiting = watchers[name]
	watchers[name] = nil
	for _, entry in ipairs(waiting or {}) do
		host.give(entry.response, entry.source, id)
	end
	skynet.retpack(true)
end

function CMD.delete(_, name)
	local id = current[name]
	if not id then
		error("sharedata: no data named " .. tostring(name), 0)
	end
	current[name] = nil
	core.decref(id)
	local waiting = watchers[name]
	watchers[name] = nil
	for _, entry in ipairs(waiting or {}) do
		entry.response(true, true) -- no id: the name is gone
	end
	skynet.retpack(true)
end

function CMD.query(source, name)
	local id = current[name]
	if not id then
		error("sharedata: no data named " .. tostring(name), 0)
	end
	host.give(skynet.response(), source, id)
end

function CMD.confirm(source, id)
	host.drop(source, id)
end

-- answers when name has a version other than id, or nil once it is deleted
function CMD.monitor(source, name, id)
	local now = current[name]
	if not now then
		skynet.retpack(true)
	elseif now ~= id then
		host.give(skynet.response(), source, now)
	else
		local waiting = watchers[name]
		if not waiting then
			waiting = {}
			watchers[name] = waiting
		end
		waiting[#waiting + 1] = { source = source, response = skynet.response() }
	end
end

-- counters of the documents of the whole process, for tests and the console
function CMD.stat()
	local st = core.stat()
	local names = 0
	for _ in pairs(current) do
		names = names + 1
	end
	st.names = names
	skynet.retpack(true, st)
end

skynet.start(function()
	host.dispatch(CMD, "sharedatad")
end)
