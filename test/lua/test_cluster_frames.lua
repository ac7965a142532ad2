-- skynet.cluster.core makes the same bytes as skynet's: every frame here was
-- made by the reference skynet (cloudwu/skynet, built at /work/ref/skynet):
--   REF_FRAMES  a service on a reference node called that node's
--               skynet.cluster.core (packrequest, packpush, packtrace,
--               packresponse) with the inputs below and printed each
--               frame's length and first 16 bytes in hex;
--   REF_SERI    the same node's skynet.packstring of the values below;
--   WIRE        bytes captured by a logging TCP proxy between the reference
--               running examples/cluster2.lua and examples/cluster1.lua.
-- Also: our frames unpack back to what went in, payloads convert between
-- our skynet.pack format and skynet's both ways, and corrupt or truncated
-- input raises an error (fuzzed) instead of crashing.
local skynet = require "skynet"
local core = require "skynet.cluster.core"
local driver = require "skynet.socketdriver"
local T = require "testlib"

local function hex(s)
	return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function unhex(h)
	return (h:gsub("..", function(x) return string.char(tonumber(x, 16)) end))
end

-- the payload the reference was given: byte i is (i * 7 + 3) % 251
local function pattern(n)
	local t = {}
	for i = 0, n - 1 do
		t[#t + 1] = string.char((i * 7 + 3) % 251)
	end
	return table.concat(t)
end

local P70000, P40000 = pattern(70000), pattern(40000)

-- name, how we make it, the next session, then the reference's frames as
-- { length, the bytes in hex (the first 16 of frames over 64 bytes) }
local REF_FRAMES = {
	{ "req_addr", function() return core.packrequest(0x0a0b0c0d, 1, driver.str2p("hello")) end, 2,
		{ 16, "000e000d0c0b0a0100000068656c6c6f" } },
	{ "req_name", function() return core.packrequest("sdb", 7, driver.str2p("hello")) end, 8,
		{ 16, "000e80037364620700000068656c6c6f" } },
	{ "push_addr", function() return core.packpush(5, 3, driver.str2p("push!")) end, 4,
		{ 16, "000e0005000000000000007075736821" } },
	{ "push_name", function() return core.packpush("sdb", 3, driver.str2p("push!")) end, 4,
		{ 16, "000e8003736462000000007075736821" } },
	{ "req_wrap", function() return core.packrequest(1, 0x7fffffff, driver.str2p("x")) end, 1,
		{ 12, "000a0001000000ffffff7f78" } },
	{ "req_multi", function() return core.packrequest(9, 2, driver.str2p(P70000)) end, 3,
		{ 15, "000d01090000000200000070110100" },
		{ 32775, "80050202000000030a11181f262d343b" },
		{ 32775, "80050202000000d8dfe6edf400070e15" },
		{ 4471, "11750302000000b2b9c0c7ced5dce3ea" } },
	{ "req_edge", function() return core.packrequest("big", 5, driver.str2p(pattern(0x8000))) end, 6,
		{ 15, "000d81036269670500000000800000" },
		{ 32775, "80050305000000030a11181f262d343b" } },
	{ "req_below", function() return core.packrequest(4, 6, driver.str2p(pattern(0x7fff))) end, 7,
		{ 32778, "8008000400000006000000030a11181f" } },
	{ "push_multi", function() return core.packpush(9, 11, driver.str2p(P40000)) end, 12,
		{ 15, "000d41090000000b000000409c0000" },
		{ 32775, "8005020b000000030a11181f262d343b" },
		{ 7239, "1c45030b000000d8dfe6edf400070e15" } },
	{ "push_multi_name", function() return core.packpush("n", 12, driver.str2p(P40000)) end, 13,
		{ 13, "000bc1016e0c000000409c0000" },
		{ 32775, "8005020c000000030a11181f262d343b" },
		{ 7239, "1c45030c000000d8dfe6edf400070e15" } },
	{ "trace", function() return core.packtrace("tag-1") end, nil,
		{ 8, "0006047461672d31" } },
	{ "resp_ok", function() return core.packresponse(1, true, "ok-data") end, nil,
		{ 14, "000c01000000016f6b2d64617461" } },
	{ "resp_err", function() return core.packresponse(2, false, "error text") end, nil,
		{ 17, "000f02000000006572726f722074657874" } },
	{ "resp_multi", function() return core.packresponse(3, true, P70000) end, nil,
		{ 11, "0009030000000270110100" },
		{ 32775, "80050300000003030a11181f262d343b" },
		{ 32775, "80050300000003d8dfe6edf400070e15" },
		{ 4471, "11750300000004b2b9c0c7ced5dce3ea" } },
	{ "resp_err_long", function() return core.packresponse(4, false, P40000) end, nil,
		{ 32775, "80050400000000030a11181f262d343b" } },
	{ "resp_edge", function() return core.packresponse(5, true, pattern(0x8000)) end, nil,
		{ 32775, "80050500000001030a11181f262d343b" } },
	{ "resp_edge1", function() return core.packresponse(6, true, pattern(0x8001)) end, nil,
		{ 11, "0009060000000201800000" },
		{ 32775, "80050600000003030a11181f262d343b" },
		{ 8, "00060600000004d8" } },
}

-- the frames in wire bytes (each a 2-byte big-endian length, then that many)
local function split_frames(wire, list)
	local at = 1
	while at <= #wire do
		local len = string.unpack(">I2", wire, at)
		list[#list + 1] = wire:sub(at, at + 1 + len)
		at = at + 2 + len
	end
	return list
end

-- the bytes of a buffer of frames (msg, sz), which is freed
local function take_wire(msg, sz)
	local wire = skynet.tostring(msg, sz)
	skynet.trash(msg, sz)
	return wire
end

-- the frames a make function returned, in order, and the next session: a
-- frame string, or a buffer of frames (packrequest/packpush: buffer, next
-- session, size; packresponse: buffer, size)
local function frames_of(make)
	local first, a, b = make()
	if type(first) == "string" then
		return { first }, a
	elseif b then
		return split_frames(take_wire(first, b), {}), a
	end
	return split_frames(take_wire(first, a), {})
end

local function check_ref_frames()
	for _, case in ipairs(REF_FRAMES) do
		local name, make, want_session = case[1], case[2], case[3]
		local frames, next_session = frames_of(make)
		T.eq(#frames, #case - 3, name .. " frame count")
		T.eq(next_session, want_session, name .. " next session")
		local payload = {}
		for i, f in ipairs(frames) do
			local want = case[i + 3]
			T.eq(#f, want[1], name .. " frame " .. i .. " length")
			-- the reference printed short frames whole, long ones' first 16 bytes
			T.eq(hex(#f <= 64 and f or f:sub(1, 16)), want[2], name .. " frame " .. i .. " bytes")
			if #f > 64 then
				payload[#payload + 1] = f:sub(8) -- a part, or a long one-part response
			end
		end
		-- the rest of every long frame is the payload, cut where skynet cuts it
		if #payload > 0 and name ~= "req_below" then
			local whole = table.concat(payload)
			T.ok(P70000:sub(1, #whole) == whole, name .. " payload bytes")
		end
		if name == "req_below" then
			T.ok(frames[1]:sub(12) == pattern(0x7fff), "req_below payload bytes")
		end
	end
end

-- skynet.packstring on the reference: hex of the whole message
local REF_SERI = {
	{ "000901", nil, true, false, n = 3 },
	{ "020a010aff12000112ffff220000010022ffffff7f32000000800000000022ffffffff220000008032ffffff7fffffffff32ffffffffffffff7f320000000000000080",
		0, 1, 255, 256, 65535, 65536, 2147483647, 2147483648, -1, -2147483648, -2147483649, math.maxinteger, math.mininteger },
	{ "42000000000000e03f420000000000000ac0429c7500883ce4377e", 0.5, -3.25, 1e300 },
	{ "040c61fc737373737373737373737373737373737373737373737373737373737373731520006d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d6d",
		"", "a", string.rep("s", 31), string.rep("m", 32) },
	{ "fe0a1f0a010a020a030a040a050a060a070a080a090a0a0a0b0a0c0a0d0a0e0a0f0a100a110a120a130a140a150a160a170a180a190a1a0a1b0a1c0a1d0a1e0a1f00",
		{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 } },
	{ "f60a010a020a030a040a050a060a070a080a090a0a0a0b0a0c0a0d0a0e0a0f0a100a110a120a130a140a150a160a170a180a190a1a0a1b0a1c0a1d0a1e00",
		{ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30 } },
	{ "0e0e060c6b0c7600000a050100", { { { k = "v" } }, [5] = false } },
}

-- skynet.pack's bytes are skynet's: cluster payloads pass through as they are
local function as_skynet(...)
	return skynet.packstring(...)
end

local function from_skynet(bytes)
	return table.pack(skynet.unpack(bytes))
end

local function same(a, b, path)
	T.eq(type(b), type(a), path .. " type")
	if type(a) == "table" then
		for k, v in pairs(a) do
			same(v, b[k], path .. "." .. tostring(k))
		end
		for k in pairs(b) do
			T.ok(a[k] ~= nil, path .. ": no extra key " .. tostring(k))
		end
	else
		T.eq(b, a, path)
		if type(a) == "number" then
			T.eq(math.type(b), math.type(a), path .. " number subtype")
		end
	end
end

local function check_ref_seri()
	for i, case in ipairs(REF_SERI) do
		local n = case.n or #case - 1
		T.eq(hex(as_skynet(table.unpack(case, 2, n + 1))), case[1], "packed values " .. i)
		local back = from_skynet(unhex(case[1]))
		T.eq(back.n, n, "values " .. i .. " count")
		for j = 1, n do
			same(case[j + 1], back[j], "values " .. i .. "[" .. j .. "]")
		end
	end
	-- long strings: the length prefix skynet uses
	T.eq(hex(as_skynet(string.rep("z", 300)):sub(1, 6)), "152c017a7a7a", "300-byte string")
	T.eq(hex(as_skynet(string.rep("z", 70000)):sub(1, 6)), "25701101007a", "70000-byte string")
	local big = string.rep("z", 70000)
	T.ok(from_skynet(as_skynet(big))[1] == big, "70000-byte string round trip")
	-- a pointer crosses as 8 bytes
	local msg, sz = skynet.pack("x")
	local back = from_skynet(as_skynet(msg, sz))
	T.eq(back[1], msg, "pointer")
	T.eq(back[2], sz, "pointer's size")
	skynet.trash(msg, sz)
end

-- real traffic between two reference nodes (examples/cluster2.lua calling
-- examples/cluster1.lua), one frame per line
local WIRE = {
	-- cluster.call("db", "@sdb", "GET", "a") under skynet.trace: the tag, then the request
	trace = "001a0428766d32343133332d64622d34293a30303030303030382d31",
	get = "0010800440736462030000001c4745540c61",
	-- its answer "foobar"
	foobar = "000c030000000134666f6f626172",
	-- skynet.send(proxy, "lua", "PING", "proxy"): a push to "@sdb"
	ping = "0015800440736462000000002450494e472c70726f7879",
	-- the answer to SET: nil
	set_answer = "0006010000000100",
	-- the heads of SET largekey largevalue (233486 bytes) and of GET's answer (102405 bytes)
	set_head = "000e810440736462010000000e900300",
	get_answer_head = "0009020000000205900100",
}

local skynet_message = skynet.pack

local function check_wire()
	T.eq(hex(core.packtrace("(vm24133-db-4):00000008-1")), WIRE.trace, "trace frame")
	local frame = core.packrequest("@sdb", 3, skynet_message("GET", "a"))
	T.eq(hex(frame), WIRE.get, "GET request")
	T.eq(hex(core.packpush("@sdb", 9, skynet_message("PING", "proxy"))), WIRE.ping, "PING push")
	local m, s = skynet_message("foobar")
	T.eq(hex(core.packresponse(3, true, m, s)), WIRE.foobar, "foobar answer")
	skynet.trash(m, s)
	m, s = skynet_message(nil)
	T.eq(hex(core.packresponse(1, true, m, s)), WIRE.set_answer, "nil answer")
	skynet.trash(m, s)
	local first = frames_of(function() return core.packrequest("@sdb", 1, driver.str2p(string.rep("x", 233486))) end)[1]
	T.eq(hex(first), WIRE.set_head, "head of a request in parts")
	local answer = frames_of(function() return core.packresponse(2, true, string.rep("y", 102405)) end)
	T.eq(hex(answer[1]), WIRE.get_answer_head, "head of an answer in parts")

	-- and what we read out of them
	local addr, session, msg, sz = core.unpackrequest(unhex(WIRE.get):sub(3))
	T.eq(addr, "@sdb", "GET address")
	T.eq(session, 3, "GET session")
	local args = from_skynet(skynet.tostring(msg, sz))
	skynet.trash(msg, sz)
	T.eq(args[1], "GET", "GET command")
	T.eq(args[2], "a", "GET key")
	local a, sess, pmsg, psz, more, push = core.unpackrequest(unhex(WIRE.ping):sub(3))
	T.eq(a, "@sdb", "push address")
	T.eq(sess, 0, "push session")
	T.eq(more, nil, "push in one part")
	T.eq(push, true, "push flag")
	skynet.trash(pmsg, psz)
	T.eq(core.unpackrequest(unhex(WIRE.trace):sub(3)), "(vm24133-db-4):00000008-1", "trace tag")
	local rs, ok, data = core.unpackresponse(unhex(WIRE.foobar):sub(3))
	T.eq(rs, 3, "answer session")
	T.eq(ok, true, "answer ok")
	T.eq(from_skynet(data)[1], "foobar", "answer value")
	local hs, hok, size, hmore = core.unpackresponse(unhex(WIRE.get_answer_head):sub(3))
	T.eq(hs, 2, "head session")
	T.ok(hok and hmore, "head announces parts")
	T.eq(size, 102405, "announced size")
	local ma, msess, mmsg, msize, mmore, mpush = core.unpackrequest(unhex(WIRE.set_head):sub(3))
	T.eq(ma, "@sdb", "multi address")
	T.eq(msess, 1, "multi session")
	T.eq(mmsg, nil, "multi head carries no payload")
	T.eq(msize, 233486, "multi size")
	T.ok(mmore and not mpush, "multi request, not push")
end

-- our frames read back, parts reassembled (an assembly, and concat)
local function check_round_trip()
	local payload = pattern(100000)
	local frames = frames_of(function()
		local m, sz = driver.str2p(payload)
		return core.packrequest("@svc", 42, m, sz, "tag-9")
	end)
	T.eq(core.unpackrequest(frames[1]:sub(3)), "tag-9", "trace frame first")
	local addr, session, msg, size, more = core.unpackrequest(frames[2]:sub(3))
	T.eq(addr, "@svc", "address")
	T.eq(session, 42, "session")
	T.ok(msg == nil and more, "head")
	local assembly, strings = core.assembly(size), { size }
	for i = 3, #frames do
		local body = frames[i]:sub(3)
		local none, s, m, sz, pmore = core.unpackrequest(body)
		T.eq(none, false, "part has no address")
		T.eq(s, 42, "part session")
		T.eq(pmore, i < #frames, "more parts follow")
		T.eq(sz, #body - 5, "a part's size")
		T.eq(assembly:take(), nil, "incomplete")
		T.ok(assembly:append(m, sz), "part appended")
		strings[#strings + 1] = body:sub(6)
	end
	local m, sz = assembly:take()
	T.eq(sz, #payload, "reassembled size")
	T.ok(skynet.tostring(m, sz) == payload, "reassembled bytes")
	skynet.trash(m, sz)
	m, sz = core.concat(strings)
	T.ok(skynet.tostring(m, sz) == payload, "concatenated bytes")
	skynet.trash(m, sz)
	local small = core.assembly(10)
	T.ok(small:append("12345"), "within the announced size")
	T.eq(small:append("123456"), false, "past the announced size")
	T.ok(small:append("67890"), "the rest")
	m, sz = small:take()
	T.eq(skynet.tostring(m, sz), "1234567890", "assembled")
	skynet.trash(m, sz)
	T.eq(core.concat({ 10, "short" }), nil, "parts that do not add up")
	T.eq(core.isname("@x"), true, "isname")
	T.eq(core.isname(".x"), nil, "not a name")
	T.ok(core.nodename():find("%d+$"), "nodename ends with the pid")
end

local function check_bad_input()
	T.raises("name length", core.packrequest, string.rep("n", 256), 1, driver.str2p("x"))
	T.raises("name length", core.packrequest, "", 1, driver.str2p("x"))
	T.raises("session", core.packrequest, 1, 0, driver.str2p("x"))
	T.raises("message pointer", core.packrequest, 1, 1, "not a pointer", 1)
	T.raises("size == 0", core.unpackrequest, "")
	T.raises("Invalid req package type", core.unpackrequest, "\x05abc")
	T.raises("Invalid cluster message", core.unpackrequest, "\x00\x01\x02")
	T.raises("Invalid cluster message", core.unpackrequest, "\x80\x09ab")
	T.raises("Invalid cluster message", core.unpackrequest, "\x01\x00\x00\x00\x00\x01\x00\x00\x00")
	T.eq(select("#", core.unpackresponse("\1\0\0")), 0, "short answer")
	T.eq(select("#", core.unpackresponse("\1\0\0\0\9")), 0, "unknown answer kind")
	T.raises("Invalid serialize stream", skynet.unpack, "\x07")
	T.raises("Invalid serialize stream", skynet.unpack, "\x25\xff\xff\x00\x00")
	-- tables nested past 33 levels
	T.raises("Invalid serialize stream", skynet.unpack, string.rep("\x06", 40) .. string.rep("\x00", 40))
	-- fuzz: random and mutated inputs raise or decode, never crash
	math.randomseed(9)
	local good = unhex(REF_SERI[2][1]) .. unhex(REF_SERI[7][1]) .. unhex(REF_SERI[4][1])
	for _ = 1, 3000 do
		local s
		if math.random(2) == 1 then
			local t = {}
			for i = 1, math.random(0, 40) do
				t[i] = string.char(math.random(0, 255))
			end
			s = table.concat(t)
		else
			local at = math.random(1, #good)
			s = good:sub(1, at - 1) .. string.char(math.random(0, 255)) .. good:sub(at + 1, math.random(at, #good))
		end
		pcall(skynet.unpack, s)
		if #s > 0 then
			-- a part's bytes point into s; a one-part payload is a copy
			local ok, addr, _, m, sz = pcall(core.unpackrequest, s)
			if ok and addr ~= false and type(m) == "userdata" then
				skynet.trash(m, sz)
			end
		end
		pcall(core.unpackresponse, s)
	end
end

T.run(function()
	check_ref_frames()
	check_ref_seri()
	check_wire()
	check_round_trip()
	check_bad_input()
end)
