-- sharedatad: owns the shared documents of skynet.sharedata.
--
-- Each name has one current document (skynet.sharedata.core), kept by a
-- skynet.sharedata.catalog, which hands it to readers and answers the
-- readers waiting for the next version.  A document is freed when its last
-- reference goes: the last reader switching away from an old version frees
-- it, at once.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"
local host = require "skynet.sharedata.host"
local catalog = require "skynet.sharedata.catalog"

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

local docs = catalog.new "sharedata"
local CMD = docs:serve {}

function CMD.new(_, name, v, ...)
	if docs.current[name] then
		docs:fail("%s exists already", tostring(name))
	end
	docs:publish(name, core.new(build(name, v, ...)))
	skynet.retpack(true)
end

function CMD.update(_, name, v, ...)
	docs:publish(name, core.new(build(name, v, ...)))
	skynet.retpack(true)
end

function CMD.delete(_, name)
	docs:remove(name)
	skynet.retpack(true)
end

-- counters of the documents of the whole process, for tests and the console
function CMD.stat()
	local st = core.stat()
	st.names = docs:count()
	skynet.retpack(true, st)
end

skynet.start(function()
	host.dispatch(CMD, "sharedatad")
end)
