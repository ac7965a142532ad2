-- bson.decode of malformed bytes must raise a Lua error, never crash or
-- read outside its input (run under `make SANITIZE=1` to make sure):
-- documents of every type (bson_cases.lua plus hand-written JavaScript
-- code, symbols, DBPointers, decimal128), mutated at random — bytes
-- flipped, lengths overwritten, cut short, spliced — then decoded;
-- whatever decodes is encoded again and decoded again.  Special values
-- with random payloads go through bson.encode and bson.type.
-- The seed is printed; BSON_FUZZ_SEED reproduces a run.
local skynet = require "skynet"
local bson = require "bson"
local T = require "testlib"
local C = require "bson_cases"

local ITERATIONS = 60000
local seed = tonumber(os.getenv "BSON_FUZZ_SEED") or os.time()

local function element(type, key, value)
	return string.char(type) .. key .. "\0" .. value
end

local function document(...)
	local body = table.concat { ... }
	return string.pack("<i4", #body + 5) .. body .. "\0"
end

local function bstring(s)
	return string.pack("<i4", #s + 1) .. s .. "\0"
end

local function corpus()
	local docs = {}
	for _, case in ipairs(C.cases) do
		if case[1] ~= "large" and case[1] ~= "nested_deep" then
			docs[#docs + 1] = C.encode(case[2])
		end
	end
	local scope = document(element(0x10, "x", string.pack("<i4", 1)))
	local code = bstring "function () { return x; }"
	docs[#docs + 1] = document(
		element(0x0D, "js", bstring "f()"),
		element(0x0E, "sym", bstring "symbol"),
		element(0x0C, "ptr", bstring "db.coll" .. string.rep("\1", 12)),
		element(0x0F, "cws", string.pack("<i4", 4 + #code + #scope) .. code .. scope),
		element(0x13, "dec", string.rep("\0", 14) .. "\x40\x30"),
		element(0x04, "arr", document(element(0x02, "0", bstring "a"), element(0x08, "1", "\1"))))
	return docs
end

local random = math.random
local INTERESTING = { 0, 1, 4, 5, -1, 0x7fffffff, -0x80000000, 0x10000 }

local function mutate(s, docs)
	local how = random(6)
	if how == 1 then -- flip bytes
		for _ = 1, random(4) do
			local i = random(#s)
			s = s:sub(1, i - 1) .. string.char(random(0, 255)) .. s:sub(i + 1)
		end
	elseif how == 2 and #s >= 4 then -- overwrite a length-sized window
		local i = random(#s - 3)
		local v = INTERESTING[random(#INTERESTING)]
		if random(2) == 1 then v = #s - i + random(-3, 3) end
		s = s:sub(1, i - 1) .. string.pack("<i4", v) .. s:sub(i + 4)
	elseif how == 3 then -- cut short, the header sometimes fixed to match
		s = s:sub(1, random(0, #s))
		if #s >= 4 and random(2) == 1 then
			s = string.pack("<i4", #s) .. s:sub(5)
		end
	elseif how == 4 then -- insert or delete a few bytes
		local i = random(#s)
		if random(2) == 1 then
			s = s:sub(1, i) .. string.char(random(0, 255), random(0, 255)) .. s:sub(i + 1)
		else
			s = s:sub(1, i - 1) .. s:sub(i + random(1, 3))
		end
	elseif how == 5 then -- splice two documents
		local other = docs[random(#docs)]
		s = s:sub(1, random(#s)) .. other:sub(random(#other))
	else -- random bytes behind a plausible header
		local body = {}
		for i = 1, random(0, 40) do
			body[i] = string.char(random(0, 255))
		end
		s = document(table.concat(body))
	end
	return s
end

local function decode_once(s, stats)
	local ok, doc = pcall(bson.decode, s)
	if not ok then
		T.eq(type(doc), "string", "error value")
		stats.rejected = stats.rejected + 1
		return
	end
	T.eq(type(doc), "table", "decoded value")
	stats.decoded = stats.decoded + 1
	local encoded, b = pcall(bson.encode, doc)
	if encoded then
		T.ok(pcall(bson.decode, b), "what we encoded decodes")
		b:makeindex()
		stats.reencoded = stats.reencoded + 1
	end
end

local function fuzz_specials()
	local types = { 0x05, 0x07, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x11, 0x12, 0x13, 0x7F, 0xFF, 0x02, 0x06 }
	local accepted = 0
	for _ = 1, 20000 do
		local payload = {}
		for i = 1, random(0, 20) do
			payload[i] = string.char(random(0, 255))
		end
		local v = "\0" .. string.char(types[random(#types)]) .. table.concat(payload)
		pcall(bson.type, v)
		local ok, b = pcall(bson.encode, { v = v })
		if ok then
			accepted = accepted + 1
			T.eq(bson.decode(b).v, C.expect(v), "an accepted special value decodes to itself")
		end
	end
	T.ok(accepted > 0, "some random special values are valid")
end

T.run(function()
	math.randomseed(seed)
	skynet.error("bson fuzz seed " .. seed)
	local docs = corpus()
	for _, d in ipairs(docs) do
		T.ok(pcall(bson.decode, d), "corpus document decodes")
	end
	local stats = { rejected = 0, decoded = 0, reencoded = 0 }
	for _ = 1, ITERATIONS do
		local s = docs[random(#docs)]
		for _ = 1, random(3) do
			s = mutate(s, docs)
		end
		decode_once(s, stats)
	end
	T.ok(stats.rejected > ITERATIONS / 10, "most mutations are rejected")
	T.ok(stats.decoded > 0, "some mutations still decode")
	fuzz_specials()
	skynet.error(string.format("bson fuzz: %d inputs, %d rejected, %d decoded, %d encoded again",
		ITERATIONS, stats.rejected, stats.decoded, stats.reencoded))
end)
