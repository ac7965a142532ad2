-- The side of sharedatad and sharetabled that hands document ids to readers.
--
-- An id given to a reader carries a reference taken on its behalf: "in
-- flight" until the reader holds its own and confirms, then dropped here.
-- When the answer cannot be delivered (the reader is gone) the reference is
-- dropped at once.  Answers are `true, ...`; failures `false, message`.
local skynet = require "skynet"
local core = require "skynet.sharedata.core"

local host = {}

local inflight = {} -- source -> { id -> references not yet confirmed }
local owned = {}    -- maps of name -> id whose references the service holds

-- the references still held are dropped when the service's VM closes
setmetatable(owned, {
	__gc = function()
		for _, ids in pairs(inflight) do
			for id, n in pairs(ids) do
				for _ = 1, n do
					core.decref(id)
				end
			end
		end
		for _, map in ipairs(owned) do
			for _, id in pairs(map) do
				core.decref(id)
			end
		end
	end,
})

-- map (name -> id) holds one reference per id, dropped at exit
function host.own(map)
	owned[#owned + 1] = map
	return map
end

function host.hold(source, id)
	core.incref(id)
	local ids = inflight[source]
	if not ids then
		ids = {}
		inflight[source] = ids
	end
	ids[id] = (ids[id] or 0) + 1
end

-- the reader confirmed (or could not get) one reference to id
function host.drop(source, id)
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

-- answers true, id through response, with a reference held for source
function host.give(response, source, id)
	host.hold(source, id)
	if not response(true, true, id) then
		host.drop(source, id)
	end
end

local env_mt = { __index = _ENV }

-- runs Lua source (a file when filename is given) with arguments ...;
-- returns what it returns and the table of the globals it set
function host.run(chunkname, source, filename, ...)
	local env = setmetatable({}, env_mt)
	local f, err
	if filename then
		f, err = loadfile(filename, "t", env)
	else
		f, err = load(source, "=" .. tostring(chunkname), "t", env)
	end
	if not f then
		error(err, 0)
	end
	local ret = f(...)
	setmetatable(env, nil)
	return ret, env
end

-- a dispatcher for CMD[cmd](source, ...): an error is answered false, message
function host.dispatch(CMD, name)
	skynet.dispatch("lua", function(_, source, cmd, ...)
		local f = CMD[cmd]
		if not f then
			error(name .. ": unknown command " .. tostring(cmd))
		end
		local ok, err = pcall(f, source, ...)
		if not ok then
			skynet.retpack(false, err)
		end
	end)
end

return host
