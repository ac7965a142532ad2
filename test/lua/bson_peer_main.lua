-- The Lua side of test/sh/test_bson_python.sh (config key bson_dir: the
-- folder peer.py wrote its documents to).  For every case of bson_cases.lua:
-- our bytes must equal pymongo's, pymongo's bytes must decode to the case's
-- values; every document pymongo wrote is decoded and encoded again into
-- relay_NAME.bson for peer.py to check.
local skynet = require "skynet"
local bson = require "bson"
local T = require "testlib"
local C = require "bson_cases"

local dir = assert(skynet.getenv "bson_dir", "bson_dir is not set")

local function read(prefix, name)
	local f = assert(io.open(string.format("%s/%s_%s.bson", dir, prefix, name), "rb"))
	local s = f:read "a"
	f:close()
	return s
end

local function write(prefix, name, bytes)
	local f = assert(io.open(string.format("%s/%s_%s.bson", dir, prefix, name), "wb"))
	f:write(bytes)
	f:close()
end

-- nil when got and want are the same Lua values (integers apart from
-- floats, the sign of zero, NaN equal to NaN), else where they differ
local function difference(got, want, path)
	if type(got) ~= type(want) then
		return path
	elseif type(want) == "number" then
		if want ~= want then
			return got == got and path or nil
		end
		local same = math.type(got) == math.type(want) and got == want and 1 / got == 1 / want
		return not same and path or nil
	elseif type(want) == "table" then
		for k, v in pairs(want) do
			local d = difference(got[k], v, path .. "." .. tostring(k))
			if d then return d end
		end
		for k in pairs(got) do
			if want[k] == nil then return path .. "." .. tostring(k) .. " (extra)" end
		end
		return nil
	end
	return got ~= want and path or nil
end

local function first_difference(a, b)
	for i = 1, math.min(#a, #b) do
		if a:byte(i) ~= b:byte(i) then return i - 1 end
	end
	return math.min(#a, #b)
end

local function check_case(name, doc)
	local ours, theirs = C.encode(doc), read("py", name)
	write("lua", name, ours)
	if ours ~= theirs then
		error(string.format("%s: bytes differ at offset %d (ours %d bytes, pymongo's %d)",
			name, first_difference(ours, theirs), #ours, #theirs))
	end
	local want = C.expect(doc)
	local d = difference(bson.decode(theirs), want, name)
	T.ok(not d, "pymongo's " .. name .. " decodes to the case's values (first difference at " .. tostring(d) .. ")")
	d = difference(bson.decode(bson.encode_order("x", C.encode_value(doc))).x, want, name)
	T.ok(not d, name .. " survives our own round trip (at " .. tostring(d) .. ")")
end

local function check_python_only()
	local d = bson.decode(read("py", "decimal128"))
	local kind, bytes = bson.type(d.d)
	T.eq(kind, "unsupported", "decimal128 kind")
	T.eq(#bytes, 16, "decimal128 bytes")
	T.eq((bson.type(bson.decode(read("py", "code")).js)), "unsupported", "JavaScript code kind")
	T.eq((bson.type(bson.decode(read("py", "code_w_scope")).js)), "unsupported", "code with scope kind")
	local g = bson.decode(read("py", "objectid_generated"))
	local kind2, hex = bson.type(g.id)
	T.eq(kind2, "objectid", "pymongo's generated ObjectId kind")
	T.eq(hex, g.hex, "pymongo's generated ObjectId")
end

T.run(function()
	for _, case in ipairs(C.cases) do
		check_case(case[1], case[2])
	end
	local id = bson.objectid()
	write("lua", "objectid_generated", tostring(bson.encode_order(
		"id", id, "hex", select(2, bson.type(id)), "time", os.time(), "next", bson.objectid())))
	check_python_only()
	local relayed = 0
	for name in io.lines(dir .. "/cases.txt") do
		write("relay", name, tostring(bson.encode(bson.decode(read("py", name)))))
		relayed = relayed + 1
	end
	skynet.error(string.format("bson peer: %d cases byte-identical with pymongo, %d documents relayed",
		#C.cases, relayed))
end)
