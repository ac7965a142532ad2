-- sproto byte identity: the schema binary, every encoding (plain and
-- 0-packed), pack of raw buffers, RPC messages and default tables equal
-- those reference skynet produced for the same inputs (sproto_expected.lua,
-- made by sproto_refgen.lua); every encoding decodes back to its input.
local sproto = require "sproto"
local parser = require "sprotoparser"
local T = require "testlib"
local cases = require "sproto_cases"
local expected = require "sproto_expected"

-- decoded values equal the encoded ones (decimals up to their precision)
local function same(want, got, path)
	if type(want) == "table" then
		T.eq(type(got), "table", path)
		for k, v in pairs(want) do
			same(v, got[k], path .. "." .. tostring(k))
		end
		for k in pairs(got) do
			T.ok(want[k] ~= nil, path .. ": no extra key " .. tostring(k))
		end
	elseif type(want) == "number" and math.type(got) == "float" and got ~= want then
		T.ok(math.abs(got - want) <= math.abs(want) * 1e-9 + 0.006, path .. string.format(": %.17g ~ %.17g", got, want))
	else
		T.eq(got, want, path)
	end
end

local function compare_sections(got)
	T.eq(got.parser, expected.parser, "schema binary")
	local n = 0
	for _, section in ipairs { "encode", "pencode", "pack", "rpc", "default" } do
		for name, want in pairs(expected[section]) do
			T.eq(got[section][name], want, section .. " " .. name)
			n = n + 1
		end
		for name in pairs(got[section]) do
			T.ok(expected[section][name], section .. " " .. name .. " has an expected value")
		end
	end
	T.ok(n > 140, "compared " .. n .. " outputs")
end

local function decode_back(sp)
	for _, c in ipairs(cases.cases) do
		local bin = sp:encode(c.type, c.value)
		local t, used = sp:decode(c.type, bin)
		T.eq(used, #bin, c.name .. " decode uses every byte")
		local want = c.value
		if c.name == "dict" then -- a map decodes to key -> value
			want = { dict = { "one", "two", "three" } }
		end
		same(want, t, c.name)
		same(want, (sp:pdecode(c.type, sp:pencode(c.type, c.value))), c.name .. " packed")
	end
	for _, p in ipairs(cases.packs) do
		local back = sproto.unpack(sproto.pack(p.input))
		T.eq(#back, (#p.input + 7) // 8 * 8, p.name .. " unpacks to whole words")
		T.eq(back:sub(1, #p.input), p.input, p.name .. " unpacks to its input")
		T.ok(not back:sub(#p.input + 1):find "[^\0]", p.name .. " padding is zero")
	end
end

local function rpc(sp)
	local msgs = {}
	for _, m in ipairs(cases.rpc(sp)) do
		msgs[m.name] = m.bytes
	end
	local server = sp:host "package"
	local kind, name, args, respond, ud = server:dispatch(msgs.req_foo)
	T.eq(kind, "REQUEST", "foo is a request")
	T.eq(name, "foo", "request name")
	same({ i = 1, s = "x", ints = { 1, 2 } }, args, "foo args")
	T.eq(ud, "ud-1", "request ud")
	T.eq(type(respond), "function", "a session gives a responder")
	kind, name, args, respond = server:dispatch(msgs.req_bar)
	T.eq(respond, nil, "no session, no responder")
	same({ x = 5 }, args, "bar args")
	-- a client that sent the requests takes the responses
	local client = sp:host "package"
	local request = client:attach(sp)
	request("foo", {}, 1)
	request("baz", nil, 2)
	request("qux", nil, 3)
	local session, result
	kind, session, result, ud = client:dispatch(msgs.resp_foo)
	T.eq(kind, "RESPONSE", "response kind")
	T.eq(session, 1, "response session")
	same({ ok = true, msg = "done" }, result, "foo response")
	T.eq(ud, "ud-2", "response ud")
	kind, session, result = client:dispatch(msgs.resp_baz)
	T.eq(session, 2, "baz session")
	T.eq(result, nil, "response nil has no content")
	T.raises("Unknown session", client.dispatch, client, msgs.resp_baz)
	kind, session, result = client:dispatch(msgs.resp_qux)
	T.eq(session, 3, "qux session")
end

local function api(sp)
	T.ok(sp:exist_type "Item", "exist_type")
	T.ok(not sp:exist_type "Nope", "exist_type of a missing type")
	T.ok(sp:exist_proto "foo" and sp:exist_proto(3), "exist_proto by name and tag")
	T.ok(not sp:exist_proto "nope", "exist_proto of a missing protocol")
	local p = sp:queryproto "foo"
	T.eq(p.tag, 1, "queryproto tag")
	T.eq(sp:queryproto(1), p, "queryproto by tag is the same entry")
	local bin, tag = sp:request_encode("bar", { x = 9 })
	T.eq(tag, 2, "request_encode tag")
	local args, name = sp:request_decode("bar", bin)
	T.eq(args.x, 9, "request_decode")
	T.eq(name, "bar", "request_decode name")
	T.eq(sp:response_encode("bar", nil), "", "no response type encodes nothing")
	T.eq(sp:response_decode("bar", ""), nil, "no response type decodes nothing")
	T.eq(sp:response_decode("foo", sp:response_encode("foo", { msg = "m" })).msg, "m", "response round trip")
	T.raises("nope not found", sp.queryproto, sp, "nope")
	T.raises("Need a sproto_type object", sp.default, sp, "baz", "RESPONSE")
	T.raises("Invalid type", sp.default, sp, "foo", "OTHER")
	T.raises("type not found", sp.encode, sp, "Nope", {})
	-- a decode into a given table keeps its other keys
	local core = require "sproto.core"
	local into = { keep = 1 }
	core.decode(core.querytype(sp.__cobj, "Item"), sp:encode("Item", { id = 3 }), into)
	T.eq(into.keep, 1, "decode fills the given table")
	T.eq(into.id, 3, "decode into a table")
end

local function bad_values(sp)
	T.raises("All.i[0] is not an integer (Is a string)", sp.encode, sp, "All", { i = "x" })
	T.raises("All.i[0] is not an integer (Is a number)", sp.encode, sp, "All", { i = 1.5 })
	T.raises("All.b[0] is not a boolean", sp.encode, sp, "All", { b = 1 })
	T.raises("All.s[0] is not a string (Is a number)", sp.encode, sp, "All", { s = 1 })
	T.raises("All.ints[2] is not an integer", sp.encode, sp, "All", { ints = { 1, "two" } })
	T.raises("All.item[0] is not a table", sp.encode, sp, "All", { item = 5 })
	T.raises("should be a table", sp.encode, sp, "All", { byid = 5 })
	T.raises("All.dec[0] is out of range", sp.encode, sp, "All", { dec = 1 / 0 })
	T.raises("Item.id[0] is not an integer", sp.encode, sp, "All", { items = { { id = false } } })
	local deep = {}
	local t = deep
	for _ = 1, 70 do
		t.list = { { x = 1 } }
		t = t.list[1]
	end
	T.raises("The table is too deep", sp.encode, sp, "All.Inner", deep)
	T.raises("object is too large", sp.encode, sp, "All", { s = string.rep("x", 0x1000000) })
	-- the encoder's buffer survives errors and grows for big messages
	local big = string.rep("y", 3000000)
	T.eq(sp:decode("All", sp:encode("All", { s = big })).s, big, "a 3 MB string")
	T.raises("type not found", sp.decode, sp, "Nope", "")
	T.raises("decode error", sp.decode, sp, "All", "")
end

local function parser_errors()
	T.raises("syntax error at [=text] line (3)", parser.parse, ".A {\n a 0 : integer\n b : x\n}")
	T.raises("syntax error at [f.sproto] line (1)", parser.parse, "junk", "f.sproto")
	T.raises("redefine tag 0 in type A", parser.parse, ".A { a 0 : integer b 0 : integer }")
	T.raises("redefine a in type A", parser.parse, ".A { a 0 : integer a 1 : integer }")
	T.raises("redefined A", parser.parse, ".A {} .A {}")
	T.raises("Undefined type B in type A", parser.parse, ".A { a 0 : B }")
	T.raises("redefined protocol tag 1 at", parser.parse, "x 1 {} y 1 {}")
	T.raises("Undefined request type B in protocol x", parser.parse, "x 1 { request B }")
	T.raises("redefine request in protocol x", parser.parse, ".A {} x 1 { request A request A }")
	T.raises("Invalid map definition: m, must only have two fields", parser.parse, ".P { a 0 : integer } .A { m 0 : *P() }")
	T.raises("Invalid map index :nokey", parser.parse, ".P { a 0 : integer } .A { m 0 : *P(nokey) }")
	T.ok(sproto.new(parser.parse "# only a comment\n"), "an empty schema loads")
end

T.run(function()
	compare_sections(cases.outputs(sproto, parser))
	local sp = sproto.parse(cases.schema)
	decode_back(sp)
	rpc(sp)
	api(sp)
	bad_values(sp)
	parser_errors()
end)
