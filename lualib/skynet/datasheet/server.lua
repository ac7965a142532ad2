-- The datasheet service: a skynet.service named "datasheet" (as in skynet),
-- started by the first builder or reader that needs it.  It keeps the
-- current version of each sheet in a skynet.sharedata.catalog; readers query
-- and follow it with skynet.sharedata.reader.  Builders make the document in
-- their own service and send its id: the service takes a reference of its
-- own, the builder drops the one it made.
local service = require "skynet.service"

local server = {}

-- runs in the service (shipped as bytecode: only globals, no upvalues)
local function main()
	local skynet = require "skynet"
	local core = require "skynet.sharedata.core"
	local host = require "skynet.sharedata.host"
	local catalog = require "skynet.sharedata.catalog"

	local sheets = catalog.new "datasheet"
	local CMD = sheets:serve {}

	local function adopt(name, id)
		if name == nil then
			sheets:fail "a sheet needs a name"
		end
		if math.type(id) ~= "integer" or not core.incref(id) then
			sheets:fail("no document %s for %s", tostring(id), tostring(name))
		end
		sheets:publish(name, id)
		skynet.retpack(true)
	end

	function CMD.new(_, name, id)
		if sheets.current[name] then
			sheets:fail("%s exists already", tostring(name))
		end
		adopt(name, id)
	end

	function CMD.update(_, name, id)
		sheets:id(name)
		adopt(name, id)
	end

	-- for the console's info: name -> { version = id, refs = references held }
	skynet.info_func(function()
		local info = {}
		for name, id in pairs(sheets.current) do
			info[name] = { version = id, refs = core.getref(id) }
		end
		return info
	end)

	skynet.start(function()
		host.dispatch(CMD, "datasheet")
	end)
end

local address

function server.address()
	if not address then
		address = service.new("datasheet", main)
	end
	return address
end

return server
