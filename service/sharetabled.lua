-- sharetabled: owns the tables of skynet.sharetable, one current document
-- (skynet.sharedata.core) per name; ids go to readers as
-- skynet.sharedata.host says.  A version stays alive while a reader holds it.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"
local host = require "skynet.sharedata.host"

local files = host.own {} -- name -> id of its current document

local function set(name, t)
	if type(t) ~= "table" then
		error("sharetable: " .. tostring(name) .. " is no table but a " .. type(t), 0)
	end
	local id = core.new(t)
	local old = files[name]
	files[name] = id
	if old then
		core.decref(old)
	end
	skynet.retpack(true)
end

local CMD = {}

function CMD.loadfile(_, filename, ...)
	set(filename, (host.run(filename, nil, filename, ...)))
end

function CMD.loadstring(_, name, source, ...)
	set(name, (host.run(name, source, nil, ...)))
end

function CMD.loadtable(_, name, t)
	set(name, t)
end

-- the id of name's current version, or nothing for an unknown name
function CMD.query(source, name)
	local id = files[name]
	if id then
		host.give(skynet.response(), source, id)
	else
		skynet.retpack(true)
	end
end

-- ids of the names listed (all names without a list), one answer for each
function CMD.queryall(source, names)
	local list = {}
	if names then
		for _, name in ipairs(names) do
			list[name] = files[name]
		end
	else
		for name, id in pairs(files) do
			list[name] = id
		end
	end
	for _, id in pairs(list) do
		host.hold(source, id)
	end
	if not skynet.retpack(true, list) then
		for _, id in pairs(list) do
			host.drop(source, id)
		end
	end
end

function CMD.confirm(source, id)
	host.drop(source, id)
end

skynet.start(function()
	host.dispatch(CMD, "sharetabled")
end)
