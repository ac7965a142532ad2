-- Prints skynet.pack's bytes for each case of test/lua/seri_cases.lua, and
-- the errors of values too deep to pack, as the Lua source of
-- test/lua/seri_ref_bytes.lua. Run by seri_refgen.sh under cloudwu/skynet.
local skynet = require "skynet"

local function hex(s)
	return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- a long value is stored as its length, its first and last 64 bytes
local function digest(s)
	if #s <= 256 then
		return string.format("{ %d, %q }", #s, hex(s))
	end
	return string.format("{ %d, %q, %q }", #s, hex(s:sub(1, 64)), hex(s:sub(-64)))
end

local function deep_error(source)
	local ok, err = pcall(skynet.packstring, load(source)())
	return ok and "nil" or string.format("%q", (tostring(err):gsub("^.-:%d+: ", "")))
end

skynet.start(function()
	local cases = dofile(skynet.getenv "seri_cases")
	local out = { "-- skynet.packstring bytes of seri_cases.lua, captured from cloudwu/skynet (" ..
		skynet.getenv "ref_version" .. ", " .. _VERSION .. ") by test/interop/seri_refgen.sh", "return {", "\tbytes = {" }
	for _, source in ipairs(cases) do
		out[#out + 1] = string.format("\t\t[%q] = %s,", source, digest(skynet.packstring(load(source)())))
	end
	out[#out + 1] = "\t},"
	out[#out + 1] = string.format("\tnest34 = %s,", deep_error "local t = {} for _ = 2, 34 do t = { t } end return t")
	out[#out + 1] = string.format("\tvalue_at_33 = %s,", deep_error "local t = { 1 } for _ = 2, 33 do t = { t } end return t")
	out[#out + 1] = string.format("\tfunction_value = %s,", deep_error "return print")
	out[#out + 1] = "}"
	print(table.concat(out, "\n"))
	os.exit(0)
end)
