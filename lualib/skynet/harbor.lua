-- skynet.harbor: global names and links between the harbors (nodes) of a
-- harbor-mode network, served by this node's .cslave (cdummy on harbor 0).
local skynet = require "skynet"

local harbor = {}

-- name (up to 15 bytes, no leading "." or ":") becomes handle's (default:
-- this service's) on every harbor
function harbor.globalname(name, handle)
	handle = handle or skynet.self()
	skynet.send(".cslave", "lua", "REGISTER", name, handle)
end

-- the handle of a global (or ".local") name; waits until it is registered
function harbor.queryname(name)
	return skynet.call(".cslave", "lua", "QUERYNAME", name)
end

-- returns when harbor id goes down (at once if it is not connected)
function harbor.link(id)
	skynet.call(".cslave", "lua", "LINK", id)
end

-- returns once harbor id is connected
function harbor.connect(id)
	skynet.call(".cslave", "lua", "CONNECT", id)
end

-- returns when the connection to the master is lost
function harbor.linkmaster()
	skynet.call(".cslave", "lua", "LINKMASTER")
end

return harbor
