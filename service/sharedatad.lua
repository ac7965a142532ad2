-- sharedatad: owns the shared documents of skynet.sharedata.
--
-- Each name has one current document (skynet.sharedata.core), referenced
-- once by this service.  A reader gets an id with a reference taken on its
-- behalf, "in flight" until the reader has its own and confirms; then this
-- service drops the in-flight one.  A reader that is gone before it could
-- confirm (its answer undeliverable) has its in-flight references dropped here.
-- Readers wait in "monitor" for the next version of a name.  A document is
-- freed when its last reference goes: the last reader switching away from an
-- old version frees it, at once.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"

local current = {}  -- name -> id of its current document
local watchers = {} -- name -> { response, ... } of readers waiting for a new version
local inflight = {} -- source -> { id -> references not yet confirmed }

local function hold(source, id)
	core.incref(id)
	local ids = inflight[source]
	if not ids then
		ids = {}
		inflight[source] = ids
	end
	ids[id] = (ids[id] or 0) + 1
end

local function drop(source, id)
	local ids = inflight[source]
	local n = ids and ids[id]
	if not n then
		return
	end
	ids[id] = n > 1 and n - 1 or nil
	if next(ids) == nil then
		inflight[source] = nil
	end
	core.decref(id)
end

-- answers id to a reader, holding a reference for it until it confirms
local function give(response, source, id)
	hold(source, id)
	if not response(true, true, id) then
		drop(source, id)
	end
end

local env_mt = { __index = _ENV }

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
	local env = setmetatable({}, env_mt)
	local f, err
	if v:sub(1, 1) == "@" then
		f, err = loadfile(v:sub(2), "t", env)
	else
		f, err = load(v, "=" .. tostring(name), "t", env)
	end
	if not f then
		error(err, 0)
	end
	local ret = f(...)
	setmetatable(env, nil)
	if type(ret) == "table" then
		return ret
	end
	return env
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
		give(entry.response, entry.source, id)
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
	give(skynet.response(), source, id)
end

function CMD.confirm(source, id)
	drop(source, id)
end

-- answers when name has a version other than id, or nil once it is deleted
function CMD.monitor(source, name, id)
	local now = current[name]
	if not now then
		skynet.retpack(true)
	elseif now ~= id then
		give(skynet.response(), source, now)
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
	skynet.dispatch("lua", function(_, source, cmd, ...)
		local f = CMD[cmd]
		if not f then
			error("sharedatad: unknown command " .. tostring(cmd))
		end
		-- every answer is ok, ...: a failure goes back as false, message
		local ok, err = pcall(f, source, ...)
		if not ok then
			skynet.retpack(false, err)
		end
	end)
end)
