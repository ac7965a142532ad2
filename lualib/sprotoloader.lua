-- sprotoloader: one parsed schema shared by the services of a process.
-- A loader service saves schemas into global slots (0 to 15) of sproto.core;
-- any service then loads a slot without parsing again. Saved schemas live
-- as long as the process.
local parser = require "sprotoparser"
local core = require "sproto.core"
local sproto = require "sproto"

local loader = {}

local function save(bin, index)
	local cobj = core.newproto(bin)
	if not cobj then
		error "invalid sproto schema binary"
	end
	core.saveproto(cobj, index)
end

function loader.register(filename, index)
	local f = assert(io.open(filename), "Can't open sproto file")
	local text = f:read "a"
	f:close()
	save(parser.parse(text, filename), index)
end

loader.save = save

function loader.load(index)
	return sproto.sharenew(core.loadproto(index))
end

return loader
