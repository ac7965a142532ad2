-- sproto against malformed input: random and mutated buffers given to
-- decode, unpack, pdecode, host:dispatch and newproto (schema binaries)
-- end in a Lua error or a value, never a crash (run under SANITIZE=1 too).
local sproto = require "sproto"
local parser = require "sprotoparser"
local core = require "sproto.core"
local T = require "testlib"
local cases = require "sproto_cases"

local seed = os.time()
math.randomseed(seed)
print("sproto fuzz seed", seed)

local function random_bytes(n)
	local t = {}
	for i = 1, n do
		-- small values are frequent so that lengths and counts stay plausible
		t[i] = string.char(math.random(0, 3) == 0 and math.random(0, 255) or math.random(0, 8))
	end
	return table.concat(t)
end

-- flips, inserts, deletes or overwrites a few bytes, or cuts the buffer short
local function mutate(s)
	for _ = 1, math.random(1, 4) do
		local n = #s
		local op = math.random(1, 5)
		local at = math.random(1, math.max(n, 1))
		if op == 1 and n > 0 then
			s = s:sub(1, at - 1) .. string.char(s:byte(at) ~ (1 << math.random(0, 7))) .. s:sub(at + 1)
		elseif op == 2 then
			s = s:sub(1, at - 1) .. random_bytes(math.random(1, 4)) .. s:sub(at)
		elseif op == 3 and n > 0 then
			s = s:sub(1, at - 1) .. s:sub(at + math.random(1, 4))
		elseif op == 4 and n > 0 then
			s = s:sub(1, at - 1) .. string.char(math.random(0, 255)) .. s:sub(at + 1)
		else
			s = s:sub(1, math.random(0, n))
		end
	end
	return s
end

local outcomes = { ok = 0, err = 0 }

-- the call may fail, but only with a Lua error
local function try(f, ...)
	local ok, err = pcall(f, ...)
	if ok then
		outcomes.ok = outcomes.ok + 1
	else
		T.eq(type(err), "string", "an error message")
		outcomes.err = outcomes.err + 1
	end
end

local typenames = { "All", "Item", "Pair", "package", "All.Inner", "foo.response", "bar.request" }

local function fuzz_decode(sp, samples)
	for round = 1, 3000 do
		local typename = typenames[round % #typenames + 1]
		try(sp.decode, sp, typename, random_bytes(math.random(0, 64)))
		local base = samples[math.random(#samples)]
		try(sp.decode, sp, typename, mutate(base.plain))
		try(sp.pdecode, sp, typename, mutate(base.packed))
		try(sproto.unpack, random_bytes(math.random(0, 40)))
		try(sproto.unpack, mutate(base.packed))
	end
end

local function fuzz_dispatch(sp, messages)
	local host = sp:host "package"
	local request = host:attach(sp)
	for round = 1, 1500 do
		request("foo", {}, round) -- so that some responses find their session
		try(host.dispatch, host, mutate(messages[math.random(#messages)]))
		try(host.dispatch, host, random_bytes(math.random(0, 48)))
	end
end

local function fuzz_schema(bin)
	for _ = 1, 1500 do
		local mutated = mutate(bin)
		local ok, sp = pcall(sproto.new, mutated)
		if ok then
			-- a schema that loads must also survive use
			for _, typename in ipairs(typenames) do
				if sp:exist_type(typename) then
					try(sp.decode, sp, typename, random_bytes(math.random(0, 64)))
					try(sp.encode, sp, typename, cases.cases[math.random(#cases.cases)].value)
					try(sp.default, sp, typename)
				end
			end
		end
		try(sproto.new, random_bytes(math.random(0, 80)))
	end
end

local function wrong_arguments()
	T.raises("bad argument", core.decode, "x", "")
	T.raises("bad argument", core.encode, 1, {})
	T.raises("bad argument", core.pack, {})
	T.raises("bad argument", core.unpack, nil)
	T.raises("bad argument", core.querytype, nil, "x")
	T.raises("bad argument", core.protocol, {}, "x")
	T.raises("bad argument", core.default, "x")
	local empty = sproto.parse ""
	T.raises("Invalid global slot index 16", core.saveproto, empty.__cobj, 16)
	T.raises("nil sproto at index 15", core.loadproto, 15)
	T.raises("negative size", core.unpack, empty.__cobj, -1)
	T.raises("Invalid unpack stream", sproto.unpack, "\255")
	T.raises("Invalid unpack stream", sproto.unpack, "\3\1")
	T.eq(core.newproto "\1\0\0\0", nil, "a malformed schema gives nil")
end

T.run(function()
	local sp = sproto.parse(cases.schema)
	local samples = {}
	for _, c in ipairs(cases.cases) do
		local plain = sp:encode(c.type, c.value)
		samples[#samples + 1] = { plain = plain, packed = sproto.pack(plain) }
	end
	local messages = {}
	for _, m in ipairs(cases.rpc(sp)) do
		messages[#messages + 1] = m.bytes
	end
	fuzz_decode(sp, samples)
	fuzz_dispatch(sp, messages)
	fuzz_schema(parser.parse(cases.schema))
	wrong_arguments()
	print(string.format("sproto fuzz: %d calls returned, %d raised errors", outcomes.ok, outcomes.err))
	T.ok(outcomes.ok > 1000 and outcomes.err > 1000, "both outcomes happen")
end)
