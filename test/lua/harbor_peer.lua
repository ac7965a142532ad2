-- The commands every node of the harbor tests answers (test_harbor.sh's
-- harbor_node, and in test/interop/harbor_ref.sh both our node and the
-- reference skynet's): ping (this harbor's id and the handle), echo, relay
-- (a call made from this node).  It uses only API both frameworks share.
local skynet = require "skynet"

local P = {}

-- a new command table with the shared commands, and this node's harbor id
function P.commands()
	local id = tonumber(skynet.getenv "harbor")
	local command = {}
	function command.ping()
		return id, skynet.self()
	end
	function command.echo(...)
		return ...
	end
	function command.relay(name, ...)
		return skynet.call(name, "lua", ...)
	end
	return command, id
end

-- answers every lua message with command[cmd](...)
function P.serve(command)
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.ret(skynet.pack(command[cmd](...)))
	end)
end

return P
