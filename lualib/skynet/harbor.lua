-- skynet.harbor: global names and links between the harbors (nodes) of a
-- harbor-mode network.  Every function is a request to this node's
-- ".cslave" (cdummy on harbor 0).
local skynet = require "skynet"

local SLAVE = ".cslave"

local function ask(command, ...)
	return skynet.call(SLAVE, "lua", command, ...)
end

return {
	-- name (1 to 15 bytes, no leading "." or ":") becomes handle's (default:
	-- the caller's) on every harbor
	globalname = function(name, handle)
		skynet.send(SLAVE, "lua", "REGISTER", name, handle or skynet.self())
	end,
	-- the handle of a global (or ".local") name; waits until it is registered
	queryname = function(name)
		return ask("QUERYNAME", name)
	end,
	-- returns when harbor id goes down (at once if it is not connected)
	link = function(id)
		ask("LINK", id)
	end,
	-- returns once harbor id is connected
	connect = function(id)
		ask("CONNECT", id)
	end,
	-- returns when the connection to the master is lost
	linkmaster = function()
		ask("LINKMASTER")
	end,
}
