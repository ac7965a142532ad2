-- cdummy: .cslave of a lone node (harbor 0).  Global names live here and
-- in the harbor service, which reaches no other node.
local skynet = require "skynet"
require "skynet.manager"

local harbor_service
local names = {}        -- global name -> handle
local name_waiters = {} -- name -> { response, ... }

skynet.register_protocol {
	name = "harbor",
	id = skynet.PTYPE_HARBOR,
	pack = function(...) return ... end,
	unpack = skynet.tostring,
}

skynet.register_protocol {
	name = "text",
	id = skynet.PTYPE_TEXT,
	pack = function(...) return ... end,
	unpack = skynet.tostring,
}

local command = {}

function command.REGISTER(name, handle)
	if names[name] then
		skynet.error(string.format("global name %s is already registered as :%08x", name, names[name]))
		return
	end
	names[name] = handle
	skynet.redirect(harbor_service, handle, "harbor", 0, "N " .. name)
	local list = name_waiters[name]
	if list then
		name_waiters[name] = nil
		for _, response in ipairs(list) do
			response(true, handle)
		end
	end
end

function command.QUERYNAME(name)
	if name:byte() == 46 then -- "."
		return skynet.ret(skynet.pack(skynet.localname(name)))
	end
	if names[name] then
		return skynet.ret(skynet.pack(names[name]))
	end
	local list = name_waiters[name] or {}
	name_waiters[name] = list
	list[#list + 1] = skynet.response()
end

function command.LINK()
	skynet.ret()
end

function command.CONNECT()
	error("Can't connect to other harbor in single node mode")
end

skynet.start(function()
	local harbor_id = tonumber(skynet.getenv "harbor" or 0)
	assert(harbor_id == 0, "cdummy is for harbor 0")
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = assert(command[cmd], cmd)
		f(...)
	end)
	skynet.dispatch("text", function() end) -- "Q name": nobody else to ask
	harbor_service = assert(skynet.launch("harbor", harbor_id, skynet.self()))
end)
