-- cdummy: .cslave of a lone node (harbor 0).  Global names live here and
-- in the harbor service, which reaches no other node.
local skynet = require "skynet"
local harbor_names = require "skynet.harbor.names"
require "skynet.manager"

local names = harbor_names.new()

harbor_names.register_protocols()

local command = {}

function command.REGISTER(name, handle)
	names:register(name, handle)
end

function command.QUERYNAME(name)
	names:query(name)
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
	names.harbor_service = assert(skynet.launch("harbor", harbor_id, skynet.self()))
end)
