-- bson: skynet's test/testbson.lua reproduced with its results checked,
-- then the API piece by piece: bson.type of every value, makeindex and
-- replacing fields in place, light userdata, a large document, and the
-- errors bad values must raise.
local bson = require "bson"
local T = require "testlib"

local function hex_of(v)
	return select(2, bson.type(v))
end

-- testbson.lua: __pairs and __len tables, every special value, replace
local function testbson()
	local sub = bson.encode_order("hello", 1, "world", 2)
	local d = bson.decode(sub)
	T.eq(d.hello, 1, "encode_order hello")
	T.eq(d.world, 2, "encode_order world")

	local visited = {}
	local function tbl_next(t, k)
		local nk, nv = next(t, k)
		visited[#visited + 1] = nk == nil and "end" or nk
		return nk, nv
	end
	local function tbl_pairs(obj)
		return tbl_next, obj.__data, nil
	end
	local obj_a = { __data = { ["1"] = 2, ["3"] = 4, ["5"] = 6 } }
	setmetatable(obj_a, { __index = obj_a.__data, __pairs = tbl_pairs })
	local obj_b = { __data = { ["7"] = 8, ["9"] = 10, ["11"] = obj_a } }
	setmetatable(obj_b, { __index = obj_b.__data, __pairs = tbl_pairs })
	local metaarray = setmetatable({ n = 5 }, {
		__len = function(self) return self.n end,
		__index = function(_, idx) return tostring(idx) end,
	})

	local now = os.time()
	local b = bson.encode {
		a = 1, b = true, c = bson.null, d = { 1, 2, 3, 4 }, e = bson.binary "hello",
		f = bson.regex("*", "i"), g = bson.regex "hello", h = bson.date(now),
		i = bson.timestamp(now), j = bson.objectid(), k = { a = false, b = true }, l = {},
		m = bson.minkey, n = bson.maxkey, o = sub, p = 2 ^ 32 - 1, q = obj_b, r = metaarray,
	}
	T.eq(#visited, 8, "the __pairs iterators ran to their ends (3 + 1 fields, 2 ends)")

	local t = b:decode()
	local want = {
		a = "number", b = "boolean", c = "string", d = "table", e = "string", f = "string",
		g = "string", h = "string", i = "string", j = "string", k = "table", l = "table",
		m = "string", n = "string", o = "table", p = "number", q = "table", r = "table",
	}
	local n = 0
	for k, v in pairs(t) do
		T.eq(type(v), want[k], "type of field " .. k)
		n = n + 1
	end
	T.eq(n, 18, "fields decoded")
	for i, v in ipairs(t.r) do
		T.eq(v, tostring(i), "metaarray element " .. i)
	end
	T.eq(#t.r, 5, "metaarray length")
	T.eq(t.q["7"], 8, "__pairs document")
	T.eq(t.q["11"]["5"], 6, "nested __pairs document")
	T.eq(t.p, 2 ^ 32 - 1, "a float stays a double")
	T.eq(math.type(t.p), "float", "double decodes to a float")
	T.eq(t.c, bson.null, "null")
	T.eq(bson.type(t.m), "minkey", "minkey")
	T.eq(bson.type(t.n), "maxkey", "maxkey")
	T.eq(select(2, bson.type(t.e)), "hello", "binary data")
	local _, pattern, options = bson.type(t.f)
	T.eq(pattern .. "/" .. options, "*/i", "regex")
	T.eq(select(2, bson.type(t.h)), now, "date")
	T.eq(t.d[4], 4, "array")
	T.eq(t.k.a, false, "boolean in a sub-document")
	T.eq(next(t.l), nil, "empty table")

	b:makeindex()
	local id = bson.objectid()
	b.a = 2
	b.b = false
	b.h = bson.date(now + 60)
	b.i = bson.timestamp(now + 60, 7)
	b.j = id
	b.p = 0.5
	t = b:decode()
	T.eq(t.a, 2, "replaced int32")
	T.eq(t.b, false, "replaced boolean")
	T.eq(t.h, bson.date(now + 60), "replaced date")
	T.eq(t.i, bson.timestamp(now + 60, 7), "replaced timestamp")
	T.eq(t.j, id, "replaced objectid")
	T.eq(t.p, 0.5, "replaced double")
	local kind, v = bson.type(t.o.hello)
	T.eq(kind .. " " .. v, "number 1", "bson.type(t.o.hello)")
end

local function types()
	local function check(value, ...)
		local want = table.pack(...)
		local got = table.pack(bson.type(value))
		T.eq(got.n, want.n, "results of bson.type for " .. want[1])
		for i = 1, want.n do
			T.eq(got[i], want[i], want[1] .. " result " .. i)
		end
	end
	check(1.5, "number", 1.5)
	check(true, "boolean", true)
	local t = {}
	check(t, "table", t)
	check("plain", "string", "plain")
	check(nil, "nil")
	check(bson.null, "nil")
	check(bson.minkey, "minkey")
	check(bson.maxkey, "maxkey")
	check(bson.binary("xyz"), "binary", "xyz", 0)
	check(bson.binary("xyz", 0x80), "binary", "xyz", 0x80)
	check(bson.objectid("0123456789ABCDEFabcdef01"), "objectid", "0123456789abcdefabcdef01")
	check(bson.date(1700000000), "date", 1700000000, 1700000000000)
	check(bson.date(-1.5), "date", -2, -1500)
	check(bson.timestamp(100, 3), "timestamp", 100, 3)
	check(bson.regex("a.b", "ix"), "regex", "a.b", "ix")
	check(bson.regex("a.b"), "regex", "a.b", "")
	check(bson.int64(-7), "int64", -7)
	local _, _, first = bson.type(bson.timestamp(1))
	local _, _, second = bson.type(bson.timestamp(1))
	T.eq(second, first + 1, "timestamp increments come from a counter")
	local a, b = bson.objectid(), bson.objectid()
	T.ok(a ~= b, "objectids are unique")
	T.eq(hex_of(a):sub(1, 18), hex_of(b):sub(1, 18), "same second, same process part")
	T.eq(#hex_of(a), 24, "objectid hex")
end

local function numbers()
	local d = bson.decode(bson.encode {
		i32 = 2147483647, i64 = 2147483648, n32 = -2147483648, n64 = -2147483649,
		f = 3.0, forced = bson.int64(1),
	})
	T.eq(math.type(d.i32), "integer", "int32")
	T.eq(d.i64, 2147483648, "int64")
	T.eq(d.n64, -2147483649, "negative int64")
	T.eq(d.n32, -2147483648, "int32 minimum")
	T.eq(math.type(d.f), "float", "3.0 stays a float")
	T.eq(d.forced, 1, "a forced int64 decodes to an integer")
	-- sizes tell which type was written: int32 4 bytes, int64 8
	T.eq(#bson.encode { x = 2147483647 }, 4 + 1 + 2 + 4 + 1, "int32 size")
	T.eq(#bson.encode { x = 2147483648 }, 4 + 1 + 2 + 8 + 1, "int64 size")
	T.eq(#bson.encode { x = bson.int64(1) }, 4 + 1 + 2 + 8 + 1, "bson.int64 size")
end

local function objects()
	local b = bson.encode { x = 1 }
	T.eq(tostring(b), "\12\0\0\0\16x\0\1\0\0\0\0", "bytes of {x = 1}")
	T.eq(#b, 12, "#b")
	T.eq(bson.decode(tostring(b)).x, 1, "decode of a string of bytes")
	local light = bson.to_lightuserdata(b)
	T.eq(type(light), "userdata", "to_lightuserdata")
	T.eq(bson.decode(light).x, 1, "decode of a light userdata")
	T.eq(bson.decode(bson.encode { sub = light }).sub.x, 1, "light userdata as a sub-document")
	T.eq(bson.decode(bson.encode { sub = b }).sub.x, 1, "bson object as a sub-document")
	T.eq(select("#", bson.decode(nil)), 0, "decode(nil) returns nothing")
	T.raises("bson object, string or light userdata", bson.decode, 12)
	T.raises("call makeindex first", function() b.x = 2 end)
	b:makeindex()
	T.raises("Can't replace key : y", function() b.y = 2 end)
	T.raises("32bit integer", function() b.x = 2147483648 end)
	T.raises("number expected", function() b.x = "two" end)
	local o = bson.encode { id = bson.objectid(), s = "str" }
	o:makeindex()
	T.raises("Type mismatch", function() o.id = bson.date(1) end)
	T.raises("Can't replace key : s", function() o.s = "other" end)
	T.eq(#o, #bson.encode { id = bson.objectid(), s = "str" }, "replace never resizes")
end

local function large()
	local blob = string.rep("0123456789abcdef", 1 << 20) -- 16 MB
	local list = {}
	for i = 1, 100000 do
		list[i] = i
	end
	local b = bson.encode { blob = blob, list = list }
	local d = b:decode()
	T.eq(d.blob, blob, "16 MB string")
	T.eq(#d.list, 100000, "100,000-element array")
	T.eq(d.list[100000], 100000, "last element")
end

local function errors()
	T.raises("Use bson.null instead", bson.encode, { list = { 1, nil, 3 } })
	T.raises("key can't be number", bson.encode, { [1.5] = 1 })
	T.raises("Invalid key type : boolean", bson.encode, { [true] = 1 })
	T.raises("Invalid value type : function", bson.encode, { f = print })
	T.raises("Invalid value type : userdata", bson.encode, { f = io.stdout })
	T.raises("Invalid utf8 string", bson.encode, { s = "\xff" })
	T.raises("Invalid utf8 string", bson.encode, { s = "\xed\xa0\x80" }) -- a surrogate
	T.raises("Invalid utf8 string", bson.encode, { s = "\xc0\x80" }) -- overlong
	T.raises("Invalid utf8 string", bson.encode, { ["\xfe"] = 1 })
	T.raises("0 byte", bson.encode, { ["a\0b"] = 1 })
	local loop = {}
	loop.self = loop
	T.raises("Too depth while encoding bson", bson.encode, loop)
	T.raises("__len should return integer",
		bson.encode, { a = setmetatable({}, { __len = function() return "x" end }) })
	T.raises("Invalid ordered dict", bson.encode_order, "a")
	T.raises("Argument 3 need a string", bson.encode_order, "a", 1, {}, 2)
	T.raises("table expected", bson.encode, "x")
	T.raises("Invalid subtype 2", bson.encode, { s = "\0\2x" })
	T.raises("Invalid bson", bson.encode, { id = "\0\7short" })
	T.raises("Invalid bson value of type 10", bson.encode, { n = "\0\10extra" })
	T.raises("Invalid bson", bson.encode, { r = "\0\11no terminator" })
	T.raises("Invalid objectid", bson.objectid, "0123")
	T.raises("Invalid objectid", bson.objectid, "0123456789abcdefabcdef0g")
	T.raises("out of range", bson.timestamp, -1)
	T.raises("out of range", bson.timestamp, 1, 1 << 32)
	T.raises("0 byte", bson.regex, "a\0b")
	T.raises("subtype out of range", bson.binary, "x", 256)
	T.raises("number expected", bson.date, "today")
	T.raises("Invalid type function", bson.type, print)
	T.raises("Invalid subtype 2", bson.type, "\0\2")
	T.raises("Invalid object id", bson.type, "\0\7short")
	T.raises("userdata expected", bson.to_lightuserdata, "x")
	-- bad bytes
	T.raises("Invalid bson block", bson.decode, "\5\0\0")
	T.raises("Invalid bson block", bson.decode, "\6\0\0\0\0\0")
	T.raises("Invalid bson block", bson.decode, "\12\0\0\0\16x\0\1\0\0\0\1")
	T.raises("Invalid bson type : 6", bson.decode, "\8\0\0\0\6x\0\0")
	T.raises("Invalid bson boolean", bson.decode, "\9\0\0\0\8x\0\2\0")
	T.raises("Invalid bson string", bson.decode, "\16\0\0\0\2x\0\9\0\0\0abc\0\0")
	T.raises("Invalid bson array key", bson.decode, "\16\0\0\0\4a\0\8\0\0\0\10z\0\0\0")
	local deep = "\5\0\0\0\0"
	for _ = 1, 200 do
		deep = string.pack("<i4", #deep + 8) .. "\3d\0" .. deep .. "\0"
	end
	T.raises("Too depth while decoding bson", bson.decode, deep)
end

T.run(function()
	testbson()
	types()
	numbers()
	objects()
	large()
	errors()
end)
