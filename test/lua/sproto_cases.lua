-- Inputs of the sproto byte-identity test (test_sproto_wire.lua): a schema
-- with every type, the values encoded with it, buffers to 0-pack and RPC
-- messages. The same file ran under reference skynet (test/lua/sproto_refgen.lua)
-- to produce the expected bytes in sproto_expected.lua.
local M = {}

M.schema = [[
# every builtin type, arrays of each, keyed arrays and maps, nesting, tag gaps
.package {
	type 0 : integer
	session 1 : integer
	ud 2 : string
}

.Item {
	id 0 : integer
	name 1 : string
	tags 2 : *string
}

.Pair {
	k 0 : integer
	v 1 : string
}

.Named { name 0 : string  score 1 : double }

.All {
	i 0 : integer
	b 1 : boolean
	s 2 : string
	bin 3 : binary
	d 4 : double
	dec 5 : integer(2)
	dec4 6 : integer(4)
	item 7 : Item
	ints 8 : *integer
	bools 9 : *boolean
	strs 10 : *string
	doubles 11 : *double
	decs 12 : *integer(3)
	items 13 : *Item
	byid 14 : *Item(id)
	byname 15 : *Item(name)
	dict 16 : *Pair()
	named 17 : *Named()
	.Inner {
		x 0 : integer
		list 1 : *Inner
	}
	inner 20 : Inner
	far 1000 : integer
	farther 30000 : boolean
}

foo 1 {
	request All
	response {
		ok 0 : boolean
		msg 1 : string
	}
}

bar 2 {
	request { x 0 : integer }
}

baz 3 {
	response nil
}

qux 30 {}
]]

local int_values = {
	0, 1, 0x7ffe, 0x7fff, 0x8000, -1, -0x7fff, 0x7fffffff, -0x80000000,
	0x80000000, -0x80000001, (1 << 53) + 1, math.maxinteger, math.mininteger,
}

M.cases = {}

local function case(name, typename, value)
	M.cases[#M.cases + 1] = { name = name, type = typename, value = value }
end

for i, v in ipairs(int_values) do
	case("int" .. i, "All", { i = v })
end
case("bool_true", "All", { b = true })
case("bool_false", "All", { b = false })
case("str_empty", "All", { s = "" })
case("str", "All", { s = "hello, sproto" })
case("binary", "All", { bin = "\0\1\2\255\0zero\0" })
for i, v in ipairs { 0.0, -0.0, 1.5, -2.25e300, 1 / 0, -1 / 0, 5e-324, 0.1 } do
	case("double" .. i, "All", { d = v })
end
for i, v in ipairs { 1.82, -3.14159, 0.005, 327.66, 327.67, 1e10, -0.5 } do
	case("decimal" .. i, "All", { dec = v, dec4 = v })
end
case("struct_empty", "All", { item = {} })
case("struct", "All", { item = { id = 7, name = "seven", tags = { "a", "", "c" } } })
case("ints_empty", "All", { ints = {} })
case("ints32", "All", { ints = { 1, 2, 3, -1, 0x7fffffff, -0x80000000 } })
case("ints64", "All", { ints = { 1, 1 << 40, -1, -(1 << 40), math.maxinteger } })
case("ints_late64", "All", { ints = { -5, 6, -7, 1 << 33 } })
case("bools", "All", { bools = { true, false, true, true } })
case("bools_empty", "All", { bools = {} })
case("strs", "All", { strs = { "", "x", "yz" } })
case("doubles", "All", { doubles = { 1.5, -2, 0.1, 1e100 } })
case("doubles_empty", "All", { doubles = {} })
case("decs", "All", { decs = { 1.234, -0.5, 2.0005, 1e12 } })
case("items", "All", { items = { { id = 1 }, { name = "two" }, {} } })
case("items_empty", "All", { items = {} })
case("byid", "All", { byid = { { id = 1, name = "a" }, { id = 2, name = "b", tags = { "t" } } } })
case("byname", "All", { byname = { only = { id = 5, name = "only" } } })
case("dict", "All", { dict = { "one", "two", "three" } })
case("named", "All", { named = { alice = 97.5 } })
case("inner", "All", { inner = { x = 1, list = { { x = 2, list = { { x = 3 } } }, { x = -4 } } } })
case("far", "All", { far = 5, farther = true })
case("far_only", "All", { farther = false })
case("empty", "All", {})
case("everything", "All", {
	i = -123456789012, b = true, s = "string", bin = "\0\0\0", d = 3.25, dec = 12.34, dec4 = -0.0001,
	item = { id = 0x7fff, name = "item" }, ints = { 100000, 2 }, bools = { false },
	strs = { "s" }, doubles = { -0.0 }, decs = { 0.001 }, items = { { id = 1, tags = {} } },
	byid = { { id = 1 } }, byname = { n = { name = "n" } }, dict = { "v" }, named = { z = -1 },
	inner = { x = 0 }, far = -1, farther = false,
})
case("header_request", "package", { type = 1, session = 1, ud = "ud" })
case("header_big_session", "package", { session = 0x7fffffff })
case("foo_response", "foo.response", { ok = true, msg = "fine" })
case("bar_request", "bar.request", { x = 42 })

-- buffers to 0-pack: a deterministic generator, so the reference sees the same bytes
local function bytes(n, seed, density)
	local t, x = {}, seed
	for i = 1, n do
		x = (x * 1103515245 + 12345) % 0x80000000
		t[i] = (x >> 16) % 100 < density and string.char(1 + (x >> 8) % 255) or "\0"
	end
	return table.concat(t)
end

M.packs = {
	{ name = "empty", input = "" },
	{ name = "one", input = "\1" },
	{ name = "zeros", input = string.rep("\0", 17) },
	{ name = "dense30", input = string.rep("\138", 30) },
	{ name = "dense_run_4000", input = string.rep("\7", 4000) },
	{ name = "dense_then_sparse", input = string.rep("\9", 24) .. "\1\2\3\4\5\6\0\0" .. "\1\2\3\4\5\6\7\0" .. "\0\0\0\0\0\0\0\1" },
	{ name = "seven_nonzero_start", input = "\1\2\3\4\5\6\7\0" .. string.rep("\8", 16) },
	{ name = "padded_run_end", input = string.rep("\5", 21) },
	{ name = "random_sparse", input = bytes(3000, 1, 30) },
	{ name = "random_half", input = bytes(3000, 2, 50) },
	{ name = "random_dense", input = bytes(5000, 3, 90) },
	{ name = "random_full", input = bytes(2100, 4, 100) },
}

-- RPC messages of a client host and a server host over the schema's protocols
function M.rpc(sp)
	local out = {}
	local function add(name, msg) out[#out + 1] = { name = name, bytes = msg } end
	local client = sp:host "package"
	local request = client:attach(sp)
	add("req_foo", request("foo", { i = 1, s = "x", ints = { 1, 2 } }, 1, "ud-1"))
	add("req_bar", request("bar", { x = 5 }))
	add("req_baz", request("baz", nil, 2))
	add("req_qux", request("qux", nil, 3, "u"))
	local server = sp:host "package"
	local _, _, _, respond = server:dispatch(out[1].bytes)
	add("resp_foo", respond({ ok = true, msg = "done" }, "ud-2"))
	_, _, _, respond = server:dispatch(out[3].bytes)
	add("resp_baz", respond())
	_, _, _, respond = server:dispatch(out[4].bytes)
	add("resp_qux", respond())
	return out
end

-- a table as text with sorted keys (defaults are compared this way)
function M.dump(v)
	if type(v) ~= "table" then
		return math.type(v) == "float" and string.format("%.17g(f)", v) or tostring(v)
	end
	local keys = {}
	for k in pairs(v) do
		keys[#keys + 1] = k
	end
	table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
	local parts = {}
	for i, k in ipairs(keys) do
		parts[i] = tostring(k) .. "=" .. M.dump(v[k])
	end
	return "{" .. table.concat(parts, ",") .. "}"
end

function M.hex(s)
	return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- every output the byte-identity test compares, as { section = { name = hex or text } }
function M.outputs(sproto, parser)
	local res = { parser = M.hex(parser.parse(M.schema)), encode = {}, pencode = {}, pack = {}, rpc = {}, default = {} }
	local sp = sproto.parse(M.schema)
	for _, c in ipairs(M.cases) do
		res.encode[c.name] = M.hex(sp:encode(c.type, c.value))
		res.pencode[c.name] = M.hex(sp:pencode(c.type, c.value))
	end
	for _, p in ipairs(M.packs) do
		res.pack[p.name] = M.hex(sproto.pack(p.input))
	end
	for _, m in ipairs(M.rpc(sp)) do
		res.rpc[m.name] = M.hex(m.bytes)
	end
	res.default.All = M.dump(sp:default "All")
	res.default.Inner = M.dump(sp:default "All.Inner")
	res.default.foo_request = M.dump(sp:default("foo", "REQUEST"))
	res.default.foo_response = M.dump(sp:default("foo", "RESPONSE"))
	return res
end

return M
