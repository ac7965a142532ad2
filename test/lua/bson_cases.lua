-- The documents test/sh/test_bson_python.sh exchanges with pymongo's bson
-- (test/bson/peer.py builds the same cases under the same names, in the
-- same field order, so both encoders must produce the same bytes).
-- A case's document is written with C.doc(k1, v1, k2, v2, ...): fields in
-- order; a plain Lua sequence is an array.  C.encode turns it into bytes
-- (bson.encode_order all the way down); C.expect into the Lua values a
-- decoder must return.
local bson = require "bson"

local C = {}

local DOC = {}
function C.doc(...)
	return setmetatable(table.pack(...), DOC)
end

-- an empty array: a table is an array when it has __len
local function empty_array()
	return setmetatable({}, { __len = function() return 0 end })
end

function C.encode_value(v)
	if getmetatable(v) == DOC then
		local args = {}
		for i = 1, v.n, 2 do
			args[i] = v[i]
			args[i + 1] = C.encode_value(v[i + 1])
		end
		return bson.encode_order(table.unpack(args, 1, v.n))
	elseif type(v) == "table" and getmetatable(v) == nil then
		local t = {}
		for i, e in ipairs(v) do
			t[i] = C.encode_value(e)
		end
		return t
	end
	return v
end

function C.encode(doc)
	return tostring(C.encode_value(doc))
end

function C.expect(v)
	if getmetatable(v) == DOC then
		local t = {}
		for i = 1, v.n, 2 do
			t[v[i]] = C.expect(v[i + 1])
		end
		return t
	elseif type(v) == "table" then
		local t = {}
		for i = 1, #v do
			t[i] = C.expect(v[i])
		end
		return t
	elseif type(v) == "string" and bson.type(v) == "int64" then
		return select(2, bson.type(v)) -- decoded int64 values are plain integers
	end
	return v
end

local doc = C.doc
local nan = string.unpack("<d", "\0\0\0\0\0\0\xf8\x7f") -- the quiet NaN Python writes

local function deep(levels)
	local d = doc("leaf", "bottom")
	for i = levels, 1, -1 do
		d = doc("level", i, "d", d)
	end
	return d
end

local function big_array()
	local t = {}
	for i = 1, 10000 do
		t[i] = i % 3 == 0 and ("item" .. i) or (i % 3 == 1 and i * i or i / 4)
	end
	return t
end

C.cases = {
	{ "double", doc("a", 1.5, "b", -0.25, "c", 1e308, "d", 5e-324, "e", 0.1, "f", 2.0^53, "g", -0.0, "h", 1.0) },
	{ "double_inf", doc("pos", math.huge, "neg", -math.huge) },
	{ "double_nan", doc("nan", nan) },
	{ "string", doc("empty", "", "ascii", "hello world", "nul", "a\0b",
		"utf8", "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80") },
	{ "document", doc("outer", doc("inner", doc("x", 1, "y", "two"), "empty", doc())) },
	{ "array", doc("list", { 1, 2.5, "three", true, false, bson.null, { 4, { 5 } }, doc("k", "v") },
		"empty", empty_array()) },
	{ "binary", doc("generic", bson.binary("\0\1\2\255"), "empty", bson.binary(""),
		"function", bson.binary("code", 1), "uuid", bson.binary("0123456789abcdef", 4),
		"md5", bson.binary(string.rep("\x5a", 16), 5), "user", bson.binary("user data", 0x80)) },
	{ "objectid", doc("id", bson.objectid("5f3e1a2b3c4d5e6f70819203"), "max", bson.objectid("FFFFFFFFFFFFFFFFFFFFFFFF")) },
	{ "boolean", doc("t", true, "f", false) },
	{ "date", doc("epoch", bson.date(0), "now", bson.date(1700000000), "before", bson.date(-86400),
		"ms", bson.date(1700000000.5), "far", bson.date(253402300799)) },
	{ "null", doc("n", bson.null) },
	{ "regex", doc("plain", bson.regex("^a.*b$"), "flags", bson.regex("x+", "imx"),
		"utf8", bson.regex("\xc3\xa9+", "i")) },
	{ "int32", doc("zero", 0, "one", 1, "neg", -1, "min", -2147483648, "max", 2147483647) },
	{ "int64", doc("above", 2147483648, "below", -2147483649, "min", math.mininteger,
		"max", math.maxinteger, "small", bson.int64(5)) },
	{ "timestamp", doc("ts", bson.timestamp(1700000000, 42), "zero", bson.timestamp(0, 0),
		"max", bson.timestamp(4294967295, 4294967295)) },
	{ "minmax", doc("min", bson.minkey, "max", bson.maxkey) },
	-- (pymongo moves a top-level _id first, so _id is tried in a sub-document)
	{ "key_order", doc("zebra", 1, "apple", 2, "mango", 3, "b", 4, "a", 5, "$cmd", 6,
		"sub", doc("z", 1, "_id", 2, "a", 3)) },
	{ "utf8_keys", doc("cl\xc3\xa9", "value", "\xe6\x97\xa5\xe6\x9c\xac", 1) },
	{ "nested_deep", deep(100) },
	{ "large", doc("blob", string.rep("abcdefghij", 500000), "list", big_array()) },
}

return C
