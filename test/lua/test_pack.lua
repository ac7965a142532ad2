-- skynet.pack/unpack/packstring/tostring/trash: every value type round
-- trips; what cannot cross is refused; truncated or corrupt input raises
-- an error (fuzzed) instead of crashing
local skynet = require "skynet"
local T = require "testlib"

local function same(a, b, path)
	path = path or "value"
	if type(a) ~= type(b) then
		error(string.format("%s: type %s became %s", path, type(a), type(b)), 0)
	end
	if type(a) == "table" then
		for k, v in pairs(a) do
			same(v, b[k], path .. "[" .. tostring(k) .. "]")
		end
		for k in pairs(b) do
			if a[k] == nil then
				error(path .. ": extra key " .. tostring(k), 0)
			end
		end
	elseif a ~= a then
		T.ok(b ~= b, path .. ": nan stays nan")
	else
		T.eq(b, a, path)
		if type(a) == "number" then
			T.eq(math.type(b), math.type(a), path .. " number subtype")
		end
	end
end

-- packs through the message path (pack, tostring, trash) and the string path
local function roundtrip(...)
	local want = table.pack(...)
	local msg, sz = skynet.pack(...)
	T.eq(type(sz), "number", "pack returns a size")
	local got = table.pack(skynet.unpack(msg, sz))
	local bytes = skynet.tostring(msg, sz)
	skynet.trash(msg, sz)
	T.eq(#bytes, sz, "tostring copies sz bytes")
	T.eq(bytes, skynet.packstring(...), "packstring gives the same bytes as pack")
	local again = table.pack(skynet.unpack(bytes))
	T.eq(got.n, want.n, "value count")
	T.eq(again.n, want.n, "value count from a string")
	for i = 1, want.n do
		same(want[i], got[i], "argument " .. i)
		same(want[i], again[i], "argument " .. i .. " from a string")
	end
end

local function scalars()
	roundtrip()
	roundtrip(nil)
	roundtrip(nil, nil, 1, nil)
	roundtrip(true, false)
	for _, n in ipairs { 0, 1, -1, 127, 128, 255, 256, 65535, 65536, -65536,
		2^31 - 1, -2^31, 1 << 40, math.maxinteger, math.mininteger } do
		roundtrip(math.tointeger(n) or n)
	end
	for _, x in ipairs { 0.5, -0.25, 1e300, -1e-300, 1 / 0, -1 / 0, 0 / 0, 3.0, math.pi } do
		roundtrip(x)
	end
	roundtrip("", "a", string.rep("s", 31), string.rep("m", 32), string.rep("l", 70000))
	roundtrip("nul\0inside\0", "\255\254\0")
	roundtrip(string.rep("big", 400000))
end

local function tables()
	roundtrip({})
	roundtrip({ 1, 2, 3, "four", 5.5, true })
	roundtrip({ a = 1, b = "two", [3] = 3, [10] = "ten", [true] = false, [2.5] = "float key" })
	roundtrip({ 1, 2, nested = { deeper = { deepest = { "x" } } } })
	local arr = {}
	for i = 1, 5000 do
		arr[i] = i % 3 == 0 and tostring(i) or i
	end
	roundtrip(arr, { map = arr })
	local deep = {}
	local node = deep
	for i = 1, 20 do
		node.child = { level = i }
		node = node.child
	end
	roundtrip(deep)
	local many = {}
	for i = 1, 200 do
		many[i] = i
	end
	roundtrip(table.unpack(many))
end

local function refused()
	T.raises(nil, skynet.packstring, print)
	T.raises(nil, skynet.packstring, function() end)
	T.raises(nil, skynet.packstring, coroutine.create(function() end))
	T.raises(nil, skynet.packstring, { f = print })
	local cycle = {}
	cycle.self = cycle
	T.raises(nil, skynet.packstring, cycle)
	T.raises(nil, skynet.pack, io.stdout)
end

local sample = { 1, -2, 3.5, "str", string.rep("long", 20), true, false,
	{ k = "v", [7] = { 1, 2, { x = 1e10 } } }, n = 1 << 50 }

-- every strict prefix of one packed table is incomplete
local function truncated()
	local s = skynet.packstring(sample)
	for len = 1, #s - 1 do
		local ok, err = pcall(skynet.unpack, s:sub(1, len))
		if ok then
			error(string.format("unpacking %d of %d bytes did not raise", len, #s), 0)
		end
		T.eq(type(err), "string", "truncation error is a message")
	end
	local msg, sz = skynet.pack(sample)
	T.raises(nil, skynet.unpack, msg, sz - 1)
	skynet.trash(msg, sz)
end

-- random mutations of valid input and random bytes: unpack returns values
-- or raises; it never crashes or reads out of bounds (run under ASan)
local function fuzz()
	math.randomseed(20240611)
	local base = skynet.packstring(sample, "tail", 42, { 1, 2, 3 })
	local raised = 0
	for _ = 1, 20000 do
		local bytes = { base:byte(1, -1) }
		for _ = 1, math.random(1, 4) do
			local i = math.random(1, #bytes)
			bytes[i] = math.random(0, 255)
		end
		local cut = math.random(0, 3) == 0 and math.random(1, #bytes) or #bytes
		local s = string.char(table.unpack(bytes, 1, cut))
		if not pcall(skynet.unpack, s) then
			raised = raised + 1
		end
	end
	for _ = 1, 5000 do
		local n = math.random(1, 64)
		local bytes = {}
		for i = 1, n do
			bytes[i] = math.random(0, 255)
		end
		if not pcall(skynet.unpack, string.char(table.unpack(bytes))) then
			raised = raised + 1
		end
	end
	T.ok(raised > 1000, "corrupt input is detected (" .. raised .. " errors)")
end

local function hex(s)
	return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- the bytes are skynet's: seri_ref_bytes.lua holds what cloudwu/skynet's
-- skynet.packstring made of each case of seri_cases.lua (seri_refgen.sh)
local function skynet_bytes()
	local ref = require "seri_ref_bytes"
	local n = 0
	for _, source in ipairs(require "seri_cases") do
		local want = T.ok(ref.bytes[source], "no captured bytes for " .. source)
		local got = skynet.packstring(load(source)())
		T.eq(#got, want[1], source .. ": size")
		if want[3] then
			T.eq(hex(got:sub(1, 64)), want[2], source .. ": first bytes")
			T.eq(hex(got:sub(-64)), want[3], source .. ": last bytes")
		else
			T.eq(hex(got), want[2], source .. ": bytes")
		end
		local back = table.pack(skynet.unpack(got))
		if not source:find("__pairs", 1, true) then -- __pairs made a hash of an array
			T.eq(skynet.packstring(table.unpack(back, 1, back.n)), got, source .. ": repacked")
		end
		n = n + 1
	end
	T.ok(n >= 40, "cases compared")
	local function deep(levels, inner)
		local t = { inner }
		for _ = 2, levels do t = { t } end
		return t
	end
	T.raises(ref.nest34, skynet.packstring, deep(34))
	T.raises(ref.value_at_33, skynet.packstring, deep(33, 1))
	T.raises(ref.function_value, skynet.packstring, print)
end

-- values cross between services unchanged
local function across_services()
	local svc = skynet.newservice("echo_svc")
	local r = table.pack(skynet.call(svc, "lua", "echo", sample, nil, 0 / 0, "end"))
	T.eq(r.n, 4, "value count across services")
	same(sample, r[1], "table across services")
	T.ok(r[3] ~= r[3], "nan across services")
end

T.run(function()
	skynet_bytes()
	scalars()
	tables()
	refused()
	truncated()
	fuzz()
	across_services()
end)
