-- skynet.db.redis.resp, the protocol half of skynet.db.redis, on its own:
-- requests byte for byte; every reply type; replies cut at every byte and
-- in random pieces (a partial reply's scan goes on where it stopped, and
-- `need` never asks for more than is to come); malformed, mutated and
-- random input, which must end in a Lua error or a value, never a crash;
-- a large array fed in small pieces.
local resp = require "skynet.db.redis.resp"
local T = require "testlib"

local same = T.same

local function show(v)
	if type(v) ~= "table" then
		return type(v) == "string" and string.format("%q", v) or tostring(v)
	end
	local parts = {}
	for k, x in pairs(v) do
		parts[#parts + 1] = tostring(k) .. "=" .. show(x)
	end
	return "{" .. table.concat(parts, ",") .. "}"
end

-- Parses count replies from data handed over in pieces of the given sizes
-- (the rest at once after the last), as skynet.db.redis does with what the
-- socket delivers.  Returns ok, value, or raises; "incomplete" when the
-- parser still wants bytes after all of data.
local function parse_pieces(data, sizes, count, results)
	local box = { "", 1 }
	local at = results and #results + 1
	local done, next_byte, piece = 0, 1, 1
	while true do
		local n, ok, value, need = resp.parse(box, count - done, results, at and at + done)
		done = done + n
		if need == nil then
			T.eq(box[2] <= #box[1] + 1, true, "position within the data")
			return ok, value, #box[1] - box[2] + 1
		end
		if need < 1 or need > #data - next_byte + 1 then
			return "incomplete", need
		end
		local size = sizes[piece] or #data
		piece = piece + 1
		local more = data:sub(next_byte, next_byte + size - 1)
		next_byte = next_byte + #more
		local d, p = box[1], box[2]
		box[1] = p <= #d and d:sub(p) .. more or more
		box[2] = 1
	end
end

-- the outcome of parsing data in pieces: "ok"/"error reply" and the value,
-- or "raise" and the message
local function outcome(data, sizes, count)
	local ok, r1, r2 = pcall(parse_pieces, data, sizes, count)
	if not ok then
		return "raise", r1
	end
	if r1 == "incomplete" then
		return "incomplete"
	end
	return r1 and "ok" or "error reply", r2
end

local function test_requests()
	T.eq(resp.command("get", "k"), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "GET")
	T.eq(resp.command "ping", "*1\r\n$4\r\nPING\r\n", "no arguments")
	T.eq(resp.command("x", nil, "ignored"), "*1\r\n$1\r\nX\r\n", "nil first: no arguments")
	local obj = setmetatable({}, { __tostring = function() return "obj" end, __index = function() end })
	T.eq(resp.command("Set", "k", 1, 2.5, true, obj),
		"*6\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n$3\r\n2.5\r\n$4\r\ntrue\r\n$3\r\nobj\r\n", "tostring of each")
	T.eq(resp.command("mset", { "a", "b" }), "*3\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\nb\r\n", "a table of arguments")
	T.eq(resp.command("mset", { "a", "b", n = 1 }), "*2\r\n$4\r\nMSET\r\n$1\r\na\r\n", "n counts")
	local proxy = setmetatable({}, { __index = function(_, i) return math.type(i) and "v" .. i or nil end, __len = function() return 2 end })
	T.eq(resp.command("rpush", proxy), "*3\r\n$5\r\nRPUSH\r\n$2\r\nv1\r\n$2\r\nv2\r\n", "__index and __len")
	local binary = "a\r\n\0" .. string.rep("z", 70000)
	T.eq(resp.command("echo", binary), "*2\r\n$4\r\nECHO\r\n$70004\r\n" .. binary .. "\r\n", "binary, long")
	T.raises("redis set: argument 2 is nil", resp.command, "set", "k", nil)
	T.raises("redis set: argument 2 is nil", resp.command, "set", { "k", nil, n = 2 })
	T.raises("n is not an integer", resp.command, "set", { "k", n = "x" })
	T.raises("bad argument #1", resp.command, {})
	local requests, count = resp.pipeline { { "get", "a" }, { "SET", "b", "", n = 3 } }
	T.eq(requests, "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$0\r\n\r\n", "pipeline bytes")
	T.eq(count, 2, "pipeline count")
	T.raises("redis pipeline: operation 2 is not { name, args... }", resp.pipeline, { { "get" }, "get" })
	T.raises("redis pipeline: operation 1 is not { name, args... }", resp.pipeline, { { 1 } })
	T.raises("redis del: argument 2 is nil", resp.pipeline, { { "del", "a", nil, "c", n = 4 } })
	T.raises("bad argument #1", resp.pipeline, "ops")
end

local REPLIES = {
	{ "+OK\r\n", true, "OK" },
	{ "+\r\n", true, "" },
	{ "+a\rb\r\n", true, "a\rb" },
	{ "-ERR bad thing\r\n", false, "ERR bad thing" },
	{ ":0\r\n", true, 0 },
	{ ":-42\r\n", true, -42 },
	{ ":9223372036854775807\r\n", true, math.maxinteger },
	{ ":-9223372036854775808\r\n", true, math.mininteger },
	{ "$0\r\n\r\n", true, "" },
	{ "$-1\r\n", true, nil },
	{ "$7\r\na\r\nb\0c$\r\n", true, "a\r\nb\0c$" },
	{ "*0\r\n", true, {} },
	{ "*-1\r\n", true, nil },
	{ "*3\r\n$1\r\na\r\n$-1\r\n:7\r\n", true, { "a", nil, 7 } },
	{ "*2\r\n*2\r\n+x\r\n-E inner\r\n:1\r\n", false, { { "x", "E inner" }, 1 } },
	{ "*1\r\n*1\r\n*1\r\n*0\r\n", true, { { { {} } } } },
	{ "*2\r\n$3\r\nabc\r\n*2\r\n$0\r\n\r\n:-1\r\n", true, { "abc", { "", -1 } } },
}

local function test_replies()
	for _, case in ipairs(REPLIES) do
		local data, want_ok, want = case[1], case[2], case[3]
		local ok, value, left = parse_pieces(data, {}, 1)
		T.eq(ok, want_ok, "ok of " .. show(data))
		T.ok(same(value, want), show(data) .. " parses to " .. show(want) .. ", not " .. show(value))
		T.eq(left, 0, "all of " .. show(data) .. " read")
		-- cut in two at every byte, and one byte at a time
		for cut = 0, #data do
			local o, v = parse_pieces(data, { cut }, 1)
			T.ok(o == want_ok and same(v, want), show(data) .. " cut at " .. cut)
		end
		local ones = {}
		for i = 1, #data do
			ones[i] = 1
		end
		local o, v = parse_pieces(data, ones, 1)
		T.ok(o == want_ok and same(v, want), show(data) .. " byte by byte")
	end
	-- all of them as one pipeline, collected, in random pieces
	local all = {}
	for i, case in ipairs(REPLIES) do
		all[i] = case[1]
	end
	local data = table.concat(all)
	for _ = 1, 200 do
		local sizes = {}
		for i = 1, 40 do
			sizes[i] = math.random(1, 12)
		end
		local results = { "before" }
		local ok, got = parse_pieces(data, sizes, #REPLIES, results)
		T.eq(ok, true, "collecting: the last reply's ok")
		T.eq(got, nil, "collecting: no value")
		T.eq(#results, #REPLIES + 1, "one result per reply, after those there")
		for i, case in ipairs(REPLIES) do
			T.eq(results[i + 1].ok, case[2], "result ok " .. i)
			T.ok(same(results[i + 1].out, case[3]), "result " .. i)
		end
		-- without results: the last reply's
		local last_ok, last = parse_pieces(data, sizes, #REPLIES)
		T.eq(last_ok, true, "the last reply's ok")
		T.ok(same(last, REPLIES[#REPLIES][3]), "the last reply")
	end
	-- replies beyond count stay for the next call
	local box = { "+a\r\n+b\r\n", 1 }
	local n, ok, value, need = resp.parse(box, 1)
	T.ok(n == 1 and ok and value == "a" and need == nil and box[2] == 5, "one of two replies")
	n, ok, value, need = resp.parse(box, 1)
	T.ok(n == 1 and ok and value == "b" and need == nil, "the second")
	T.ok(box[1] == "" and box[2] == 1, "nothing kept once all is read")
	-- a long bulk string: need says how much is missing
	box = { "$100000\r\n" .. string.rep("x", 10), 1 }
	n, ok, value, need = resp.parse(box, 2)
	T.ok(n == 0 and need == 100000 - 10 + 2, "need: the rest of the bulk and its CRLF")
	T.raises("bad argument #1", resp.parse, { 1, 1 }, 1)
	T.raises("bad argument #1", resp.parse, { "", 5 }, 1)
	T.raises("count must be positive", resp.parse, { "", 1 }, 0)
end

local MALFORMED = {
	"?x\r\n",
	"$abc\r\n",
	":1.5\r\n",
	":\r\n",
	"*x\r\n",
	"$2\r\nabXY",
	":99999999999999999999\r\n",
	":" .. string.rep("1", 40),
	"$3000000000\r\n",
	"*3000000000\r\n",
	"$ 3\r\nabc\r\n",
	"*2\r\n:1\r\n!\r\n",
	string.rep("*1\r\n", 1001) .. ":1\r\n",
}

local function test_malformed()
	for _, data in ipairs(MALFORMED) do
		local kind, err = outcome(data, {}, 1)
		T.eq(kind, "raise", show(data) .. " raises")
		T.ok(tostring(err):find("redis", 1, true), "a redis error for " .. show(data) .. ": " .. tostring(err))
		for cut = 1, math.min(#data, 64) do
			kind = outcome(data, { cut }, 1)
			T.ok(kind == "raise", show(data) .. " cut at " .. cut .. " raises")
		end
	end
	-- 1000 levels are fine
	local deep = string.rep("*1\r\n", 999) .. ":1\r\n"
	local ok, value = parse_pieces(deep, { 7, 100, 3 }, 1)
	T.eq(ok, true, "999 nested arrays")
	for _ = 1, 999 do
		value = value[1]
	end
	T.eq(value, 1, "the innermost item")
end

local ALPHABET = { "*", "$", ":", "+", "-", "\r\n", "\r", "\n", "0", "1", "2", "3", "-1", "a", "\0", "9" }

local function random_bytes()
	local parts = {}
	for i = 1, math.random(1, 30) do
		parts[i] = ALPHABET[math.random(#ALPHABET)]
	end
	return table.concat(parts)
end

local function mutate(data)
	local i = math.random(1, #data)
	local r = math.random(3)
	local byte = string.char(math.random(0, 255))
	if r == 1 then
		return data:sub(1, i - 1) .. byte .. data:sub(i + 1)
	elseif r == 2 then
		return data:sub(1, i - 1) .. byte .. data:sub(i)
	end
	return data:sub(1, i - 1) .. data:sub(i + 1)
end

-- whole or in pieces, the same input has the same outcome
local function fuzz_one(data)
	local count = math.random(1, 3)
	local kind, value = outcome(data, {}, count)
	local sizes = {}
	for i = 1, 8 do
		sizes[i] = math.random(1, 6)
	end
	local kind2, value2 = outcome(data, sizes, count)
	if kind == "raise" or kind2 == "raise" then
		T.ok(kind == kind2, show(data) .. ": raises whole and in pieces: " .. tostring(value) .. " / " .. tostring(value2))
	else
		T.ok(kind == kind2 and same(value, value2), show(data) .. ": same whole and in pieces")
	end
end

local function test_fuzz()
	math.randomseed(os.time())
	local seed = math.random(1, 1 << 30)
	math.randomseed(seed)
	local ok, err = pcall(function()
		for _ = 1, 20000 do
			fuzz_one(random_bytes())
		end
		local valid = {}
		for i, case in ipairs(REPLIES) do
			valid[i] = case[1]
		end
		for _ = 1, 20000 do
			local data = valid[math.random(#valid)] .. valid[math.random(#valid)]
			for _ = 1, math.random(1, 3) do
				data = mutate(data)
			end
			if #data > 0 then
				fuzz_one(data)
			end
		end
	end)
	T.ok(ok, "fuzz with seed " .. seed .. ": " .. tostring(err))
end

-- 100,000 items in 1,000-byte pieces
local function test_large_array()
	local n = 100000
	local data = "*" .. n .. "\r\n" .. string.rep("$5\r\nvalue\r\n", n)
	local sizes = {}
	for i = 1, #data // 1000 + 1 do
		sizes[i] = 1000
	end
	local ok, value = parse_pieces(data, sizes, 1)
	T.eq(ok, true, "large array ok")
	T.eq(#value, n, "large array items")
	T.eq(value[n], "value", "its last item")
end

T.run(function()
	test_requests()
	test_replies()
	test_malformed()
	test_fuzz()
	test_large_array()
end)
