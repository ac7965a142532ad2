-- The packages cmaster and cslave exchange: one length byte (so 255 bytes
-- at most), then skynet.packstring of the fields.
local skynet = require "skynet"
local socket = require "skynet.socket"

local package = {}

function package.pack(...)
	local body = skynet.packstring(...)
	assert(#body <= 255, "harbor package too long")
	return string.char(#body) .. body
end

-- the fields of the next package on fd; raises when fd is closed
function package.read(fd)
	local size = assert(socket.read(fd, 1), "closed"):byte()
	if size == 0 then -- an empty package: no fields
		return
	end
	return skynet.unpack(assert(socket.read(fd, size), "closed"))
end

return package
