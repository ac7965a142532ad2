-- skynet.datasheet.builder: publishes sheets that skynet.datasheet reads.
--   new(name, v)      a new sheet: v is a table or a compiled sheet (a string
--                     from compile, or from skynet's builder.compile)
--   update(name, v)   its next version; readers switch to it, and the
--                     version before is freed once no reader holds it
--   compile(t)        the compiled (binary) form of table t
-- A table is stored as it is (64-bit integers, doubles, any key but NaN;
-- shared and cyclic tables stay so); a compiled sheet holds what its format
-- can (see skynet.datasheet.dump).
local skynet = require "skynet"
local core = require "skynet.sharedata.core"
local dump = require "skynet.datasheet.dump"
local server = require "skynet.datasheet.server"

local builder = {}

local function publish(cmd, name, v)
	local kind = type(v)
	if kind == "string" then
		v = dump.undump(v)
	elseif kind ~= "table" then
		error("datasheet: a table or a compiled sheet expected for " .. tostring(name) .. ", got " .. kind, 3)
	end
	local built, id = pcall(core.new, v)
	if not built then -- the store names itself: say which sheet it was
		error("datasheet " .. tostring(name) .. ": " .. tostring(id):gsub("^sharedata: ", ""), 3)
	end
	local ok, done, err = pcall(skynet.call, server.address(), "lua", cmd, name, id)
	core.decref(id) -- the service holds its own reference now, or none
	if not ok then
		error(done, 3)
	elseif not done then
		error(err, 3)
	end
end

function builder.new(name, v)
	publish("new", name, v)
end

function builder.update(name, v)
	publish("update", name, v)
end

builder.compile = dump.dump

return builder
