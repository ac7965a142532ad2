-- Test data and checks for skynet.crypt / client.crypt and md5, shared by
-- test_crypt.lua (inside a node) and crypt_plain.lua (the plain lua5.4
-- interpreter). Only the two libraries and the string library are used.
--
-- Three kinds of expected values:
--   * published test vectors (RFC 1321, 2202, 3174, 4648; FIPS 81 / NBS DES),
--   * values of skynet's own constructions (hashkey, hmac64, hmac64_md5,
--     hmac_hash, dhexchange, dhsecret, desencode with both paddings, md5.crypt)
--     captured from skynet's reference build (luaclib/client.so and md5.so of
--     cloudwu/skynet built from source, loaded in lua5.4), and
--     skynet's test/testcrypt.lua outputs,
--   * DIFF_DIGEST: the sha1 of the results of ~10,000 pseudo-random calls into
--     every function (errors included, as their messages), also captured from
--     the reference build. differential(...) recomputes it.
local M = {}

local function hex(s)
	return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function unhex(h)
	return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

local function eq(got, want, what)
	if got ~= want then
		error(string.format("%s: want %q, got %q", what, tostring(want), tostring(got)), 2)
	end
end

-- f(...) must fail with an error containing text
local function fails(text, f, ...)
	local ok, err = pcall(f, ...)
	if ok then
		error("expected an error containing " .. text, 2)
	end
	if not tostring(err):find(text, 1, true) then
		error(string.format("error %q does not contain %q", tostring(err), text), 2)
	end
end

M.hex, M.unhex, M.eq, M.fails = hex, unhex, eq, fails

-- published vectors --------------------------------------------------------

local function sha1_vectors(crypt)
	local function sha1(s) return hex(crypt.sha1(s)) end
	-- RFC 3174 section 7.3
	eq(sha1("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d", "sha1 TEST1")
	eq(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
		"84983e441c3bd26ebaae4aa1f95129e5e54670f1", "sha1 TEST2")
	eq(sha1(string.rep("a", 1000000)), "34aa973cd4c4daa4f61eeb2bdbad27316534016f", "sha1 TEST3")
	eq(sha1(string.rep("0123456701234567012345670123456701234567012345670123456701234567", 10)),
		"dea356a2cddd90c7a7ecedc5ebb563934f460452", "sha1 TEST4")
	eq(sha1(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1 of nothing")
	eq(sha1("The quick brown fox jumps over the lazy dog"), "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12", "sha1 fox")
end

-- RFC 2202: HMAC-SHA1 and HMAC-MD5 test cases 1 to 7
local hmac_cases = {
	{ string.rep("\x0b", 20), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00", nil },
	{ "Jefe", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", "750c783e6ab0b503eaa86e310a5db738" },
	{ string.rep("\xaa", 20), string.rep("\xdd", 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3", nil },
	{ unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), string.rep("\xcd", 50),
		"4c9007f4026250c6bc8414f9bf50c86c2d7235da", "697eaf0aca3a3aea3a75164746ffaa79" },
	{ string.rep("\x0c", 20), "Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04", nil },
	{ string.rep("\xaa", 80), "Test Using Larger Than Block-Size Key - Hash Key First",
		"aa4ae5e15272d00e95705637ce8a3b55ed402112", "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd" },
	{ string.rep("\xaa", 80), "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
		"e8e99d0f45237d786d6bbaa7965c7808bbff1a91", "6f630fad67cda0ee1fb1f562db3aa53e" },
}

local function hmac_vectors(crypt, md5)
	for i, c in ipairs(hmac_cases) do
		eq(hex(crypt.hmac_sha1(c[1], c[2])), c[3], "hmac_sha1 RFC 2202 case " .. i)
		if c[4] then
			eq(md5.hmacmd5(c[2], c[1]), c[4], "hmacmd5 RFC 2202 case " .. i)
		end
	end
	-- RFC 2202 cases 1, 3 and 5 for MD5 use 16-byte keys
	eq(md5.hmacmd5("Hi There", string.rep("\x0b", 16)), "9294727a3638bb1c13f48ef8158bfc9d", "hmacmd5 case 1")
	eq(md5.hmacmd5(string.rep("\xdd", 50), string.rep("\xaa", 16)), "56be34521d144c88dbb8c733f0e8b3f6", "hmacmd5 case 3")
	eq(md5.hmacmd5("Test With Truncation", string.rep("\x0c", 16)), "56461ef2342edc00f9bab995690efd4c", "hmacmd5 case 5")
end

local function md5_vectors(md5)
	-- RFC 1321 appendix A.5
	local suite = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f" },
		{ string.rep("1234567890", 8), "57edf4a22be3c955ac49da2e2107b67a" },
	}
	for _, c in ipairs(suite) do
		eq(md5.sumhexa(c[1]), c[2], "md5 of " .. c[1])
		eq(hex(md5.sum(c[1])), c[2], "md5.sum of " .. c[1])
	end
end

local function base64_vectors(crypt)
	-- RFC 4648 section 10
	local suite = { { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" } }
	for _, c in ipairs(suite) do
		eq(crypt.base64encode(c[1]), c[2], "base64encode " .. c[1])
		eq(crypt.base64decode(c[2]), c[1], "base64decode " .. c[2])
	end
	eq(crypt.base64encode("\xfb\xff\xbf"), "+/+/", "base64 uses + and /")
end

-- DES-ECB known answers: FIPS 81 appendix B, the NBS test "Now is the time
-- for all ", the classic 133457799BBCDFF1 example, and Rivest's 16-round
-- chain's start. desencode always adds a padding block, so the known block
-- is the first 8 bytes; desdecode of that plus a valid padding block gives
-- the plain text back.
local function des_vectors(crypt)
	local suite = {
		{ "0123456789abcdef", "Now is t", "3fa40e8a984d4815" },
		{ "0123456789abcdef", "he time ", "6a271787ab8883f9" },
		{ "0123456789abcdef", "for all ", "893d51ec4b563b53" },
		{ "133457799bbcdff1", unhex("0123456789abcdef"), "85e813540f0ab405" },
		{ "0101010101010101", unhex("95f8a5e5dd31d900"), "8000000000000000" },
		{ "8001010101010101", unhex("0000000000000000"), "95a8d72813daa94d" },
	}
	for _, c in ipairs(suite) do
		local key = unhex(c[1])
		local out = crypt.desencode(key, c[2])
		eq(#out, 16, "desencode of 8 bytes is 16 bytes")
		eq(hex(out:sub(1, 8)), c[3], "DES-ECB " .. c[1] .. " " .. hex(c[2]))
		eq(crypt.desdecode(key, out), c[2], "desdecode round trip " .. c[1])
	end
	-- parity bits do not matter: keys differing only in bit 0 of each byte agree
	eq(crypt.desencode(unhex("0123456789abcdef"), "Now is t"), crypt.desencode(unhex("0022446688aaccee"), "Now is t"),
		"DES ignores parity bits")
end

function M.published(crypt, md5)
	sha1_vectors(crypt)
	hmac_vectors(crypt, md5)
	md5_vectors(md5)
	base64_vectors(crypt)
	des_vectors(crypt)
end

-- skynet's constructions ---------------------------------------------------

-- from skynet's test/testcrypt.lua: desencode with key "12345678", in base64
local testcrypt_pkcs7 = { "/rlZt9RkL8s=", "g6AtgJul6q0=", "NefFpG+m1O4=", "LDiFUdf0iew=", "T9u7dzBdi+w=",
	"AGgKdx/Qic8=", "ED5wLgc3Mnw=", "mYo+BYIT41M=", "ltACiHjVjIn+uVm31GQvyw==" }

-- captured from the reference build (see the top of this file)
local captured = {
	hashkey = {
		[""] = "05150000a7c6674e", ["a"] = "06b602004d00f5ae", ["hello world"] = "c1c8513506e36bbc",
		["skynet"] = "43bef41bac48ce7f", ["\0\255\128"] = "44d4860b5da89a1a",
	},
	hmac64 = "ac9ffda9547a027a", -- hmac64("12345678", "abcdefgh")
	hmac64_md5 = "c2a34748cf834af4", -- hmac64_md5("12345678", "abcdefgh")
	hmac_hash = "dc289049eee8f566", -- hmac_hash("12345678", "hello world")
	dhexchange = { -- 8-byte private keys, little-endian
		["0100000000000000"] = "0500000000000000",
		["3132333435363738"] = "a18e89af97222f0e",
		["ffffffffffffffff"] = "4e2ea6baf651b377",
		["c5ffffffffffffff"] = "0500000000000000", -- x = p
		["c6ffffffffffffff"] = "1900000000000000", -- x = p + 1
	},
	dhsecret = "fab8e4dca970e431", -- dhsecret(dhexchange("12345678"), "abcdefgh")
	dhsecret_p1 = "c5ffffffffffffff", -- dhsecret(p, 1): p is not reduced
	dhsecret_p2 = "0000000000000000", -- dhsecret(p, 2)
	iso7816 = "28dba02eb5f6dd4706b5c56593dcbe2c", -- desencode("12345678", "hello world")
	md5crypt = "0473656564dc802aa944be", -- md5.crypt("secret", "key", "seed")
}

function M.skynet_constructions(crypt, md5)
	local key = "12345678"
	eq(crypt.base64encode(crypt.desencode(key, "hello world", crypt.padding.iso7816_4)), "KNugLrX23UcGtcVlk9y+LA==",
		"testcrypt: iso7816_4")
	eq(crypt.desdecode(key, crypt.base64decode("KNugLrX23UcGtcVlk9y+LA==")), "hello world", "testcrypt: decode")
	for i = 0, 8 do
		local text = ("12345678"):sub(1, i)
		local c = crypt.desencode(key, text, crypt.padding.pkcs7)
		eq(crypt.base64encode(c), testcrypt_pkcs7[i + 1], "testcrypt: pkcs7 of " .. i .. " bytes")
		eq(crypt.desdecode(key, c, crypt.padding.pkcs7), text, "pkcs7 round trip of " .. i .. " bytes")
	end
	eq(crypt.padding.iso7816_4, 0, "padding.iso7816_4")
	eq(crypt.padding.pkcs7, 1, "padding.pkcs7")
	for s, want in pairs(captured.hashkey) do
		eq(hex(crypt.hashkey(s)), want, "hashkey " .. hex(s))
	end
	eq(hex(crypt.hmac64(key, "abcdefgh")), captured.hmac64, "hmac64")
	eq(hex(crypt.hmac64_md5(key, "abcdefgh")), captured.hmac64_md5, "hmac64_md5")
	-- hmac64_md5 is defined through md5 (skynet's comment on it)
	local m = md5.sum((key .. "abcdefgh"):rep(3))
	eq(crypt.hmac64_md5(key, "abcdefgh"), crypt.xor_str(m:sub(1, 8), m:sub(9, 16)), "hmac64_md5 by md5")
	eq(hex(crypt.hmac_hash(key, "hello world")), captured.hmac_hash, "hmac_hash")
	eq(crypt.hmac_hash(key, "hello world"), crypt.hmac64(crypt.hashkey("hello world"), key), "hmac_hash by hmac64")
	for x, want in pairs(captured.dhexchange) do
		eq(hex(crypt.dhexchange(unhex(x))), want, "dhexchange " .. x)
	end
	-- both sides of an exchange agree
	local a, b = crypt.hashkey("alice"), crypt.hashkey("bob")
	eq(crypt.dhsecret(crypt.dhexchange(a), b), crypt.dhsecret(crypt.dhexchange(b), a), "dh secrets agree")
	eq(hex(crypt.dhsecret(crypt.dhexchange(key), "abcdefgh")), captured.dhsecret, "dhsecret")
	local p, one, two = unhex("c5ffffffffffffff"), unhex("0100000000000000"), unhex("0200000000000000")
	eq(hex(crypt.dhsecret(p, one)), captured.dhsecret_p1, "dhsecret(p, 1)")
	eq(hex(crypt.dhsecret(p, two)), captured.dhsecret_p2, "dhsecret(p, 2)")
	eq(hex(crypt.desencode(key, "hello world")), captured.iso7816, "desencode iso7816_4")
	eq(hex(md5.crypt("secret", "key", "seed")), captured.md5crypt, "md5.crypt")
	eq(md5.decrypt(md5.crypt("secret", "key", "seed"), "key"), "secret", "md5.decrypt")
end

-- bad input: clear Lua errors ---------------------------------------------

function M.bad_input(crypt, md5)
	local key = "12345678"
	for _, f in ipairs { "hashkey", "hexencode", "hexdecode", "base64encode", "base64decode", "sha1", "dhexchange" } do
		fails("string expected, got nil", crypt[f], nil)
		fails("string expected, got table", crypt[f], {})
	end
	for _, f in ipairs { "desencode", "desdecode", "hmac64", "hmac64_md5", "hmac_hash", "dhsecret", "hmac_sha1", "xor_str" } do
		fails("string expected, got boolean", crypt[f], true, key)
		fails("string expected, got no value", crypt[f], key)
	end
	fails("Invalid key size 7, need 8 bytes", crypt.desencode, "1234567", "text")
	fails("Invalid key size 9, need 8 bytes", crypt.desdecode, "123456789", ("x"):rep(8))
	fails("Invalid padding mode 2", crypt.desencode, key, "text", 2)
	fails("Invalid padding mode -1", crypt.desdecode, key, crypt.desencode(key, "text"), -1)
	fails("number expected, got string", crypt.desencode, key, "text", "pkcs7")
	fails("number has no integer representation", crypt.desencode, key, "text", 0.5)
	fails("Invalid des crypt text length 0", crypt.desdecode, key, "")
	fails("Invalid des crypt text length 7", crypt.desdecode, key, "1234567")
	fails("Invalid des crypt text", crypt.desdecode, key, crypt.desencode("87654321", "wrong key!"))
	-- a valid block under the other padding: "12345678" + 0x80 0 ... is no pkcs7 padding
	fails("Invalid des crypt text", crypt.desdecode, key, crypt.desencode(key, "1234567"), crypt.padding.pkcs7)
	fails("Invalid hex text size 3", crypt.hexdecode, "abc")
	fails("Invalid hex text", crypt.hexdecode, "zz")
	fails("Invalid hex text", crypt.hexdecode, "0g")
	fails("Invalid hex text", crypt.hexdecode, "AB") -- lower case only, as skynet's
	for _, bad in ipairs { "A", "AB=C", "A===", "====", "QR==", "QUF=", "QQ== ", "QUFB\n" } do
		fails("Invalid base64 text", crypt.base64decode, bad)
	end
	fails("Invalid uint64 x", crypt.hmac64, "short", key)
	fails("Invalid uint64 y", crypt.hmac64_md5, key, "toolong!!")
	fails("Invalid uint64 key", crypt.hmac_hash, "short", "text")
	fails("Invalid dh uint64 key", crypt.dhexchange, "1234")
	fails("Can't be 0", crypt.dhexchange, ("\0"):rep(8))
	fails("Can't be 0", crypt.dhsecret, key, ("\0"):rep(8))
	fails("Invalid uint64 x", crypt.dhsecret, "", key)
	fails("Can't xor empty string", crypt.xor_str, "abc", "")
	fails("lengths must be equal", md5.exor, "abc", "ab")
	fails("string expected, got nil", md5.sum, nil)
	fails("string expected, got table", md5.sumhexa, {})
	fails("string expected, got nil", md5.hmacmd5, "data", nil)
	fails("seed too long (> 16)", md5.crypt, "msg", "key", ("s"):rep(17))
	fails("key too long (> 256)", md5.crypt, "msg", ("k"):rep(257), "seed")
	fails("invalid cyphered string", md5.decrypt, "", "key")
	fails("invalid cyphered string", md5.decrypt, "\5abc", "key")
	fails("invalid cyphered string", md5.decrypt, "\17" .. ("x"):rep(40), "key")
	-- lenient base64, as skynet's: junk between symbols, missing '=', groups after padding
	eq(crypt.base64decode("Zm9v\nYmFy"), "foobar", "newline inside base64")
	eq(crypt.base64decode("Z m 9 v"), "foo", "spaces inside base64")
	eq(crypt.base64decode("Zg"), "f", "missing padding")
	eq(crypt.base64decode("Zm8"), "fo", "missing padding 2")
	eq(crypt.base64decode("Zg==Zg=="), "ff", "a group after padding")
	-- numbers are strings to Lua's string functions
	eq(crypt.hexencode(12), "3132", "a number argument")
end

-- round trips of random data of every length up to 300
function M.round_trips(crypt, md5)
	local rand = M.random(7)
	for n = 0, 300 do
		local s = M.random_string(rand, n)
		local key = M.random_string(rand, 8)
		eq(crypt.hexdecode(crypt.hexencode(s)), s, "hex round trip " .. n)
		eq(crypt.base64decode(crypt.base64encode(s)), s, "base64 round trip " .. n)
		for _, mode in pairs(crypt.padding) do
			local c = crypt.desencode(key, s, mode)
			eq(#c, (n // 8 + 1) * 8, "des length " .. n)
			eq(crypt.desdecode(key, c, mode), s, "des round trip " .. n)
		end
		eq(crypt.xor_str(crypt.xor_str(s, key), key), s, "xor_str round trip " .. n)
		eq(md5.decrypt(md5.crypt(s, key), key), s, "md5.crypt round trip " .. n)
	end
end

-- pseudo-random inputs -----------------------------------------------------

-- a 64-bit LCG (integer arithmetic wraps the same everywhere); returns
-- rand(n), an integer in [0, n)
function M.random(seed)
	local x = seed
	return function(n)
		x = x * 6364136223846793005 + 1442695040888963407
		return (x >> 33) % n
	end
end

function M.random_string(rand, n, charset)
	local t = {}
	for i = 1, n do
		if charset then
			local k = rand(#charset) + 1
			t[i] = charset:sub(k, k)
		else
			t[i] = string.char(rand(256))
		end
	end
	return table.concat(t)
end

-- calls(crypt, md5, rand, emit): every function on pseudo-random arguments;
-- emit(name, f, ...) makes one call
local function calls(crypt, md5, rand, emit)
	local function str(max, charset) return M.random_string(rand, rand(max + 1), charset) end
	local function key8() -- now and then a wrong size or zero
		local r = rand(20)
		if r == 0 then return str(12) end
		if r == 1 then return ("\0"):rep(8) end
		return M.random_string(rand, 8)
	end
	local function mode()
		local r = rand(12)
		if r == 0 then return 2 end
		if r == 1 then return -1 end
		if r < 5 then return nil end
		return r % 2
	end
	emit("hashkey", crypt.hashkey, str(100))
	emit("hmac64", crypt.hmac64, key8(), key8())
	emit("hmac64_md5", crypt.hmac64_md5, key8(), key8())
	emit("hmac_hash", crypt.hmac_hash, key8(), str(50))
	emit("dhexchange", crypt.dhexchange, key8())
	emit("dhsecret", crypt.dhsecret, key8(), key8())
	local k, text, m = key8(), str(40), mode()
	emit("desencode", crypt.desencode, k, text, m)
	local ok, c = pcall(crypt.desencode, k, text, m)
	if ok then
		emit("desdecode", crypt.desdecode, k, c, m)
		emit("desdecode1", crypt.desdecode, k, c, 1 - (m or 0))
	end
	emit("desdecode2", crypt.desdecode, key8(), M.random_string(rand, rand(5) * 8), mode())
	emit("desdecode3", crypt.desdecode, key8(), str(20), mode())
	emit("hexencode", crypt.hexencode, str(40))
	-- skynet's hexdecode also takes 'g' and 'W'..'`' as digits, a quirk left out here
	emit("hexdecode", crypt.hexdecode, str(20, rand(8) == 0 and "0123456789abcdefABhxz :\255\128" or "0123456789abcdef"))
	emit("base64encode", crypt.base64encode, str(40))
	emit("base64decode", crypt.base64decode, str(20, "ABQgw019+/=  \n-_."))
	local b = crypt.base64encode(str(20))
	local at = rand(#b + 1)
	local edits = { "", " ", "\n", "=", "A", "*" }
	emit("base64decode2", crypt.base64decode, b:sub(1, at) .. edits[rand(#edits) + 1] .. b:sub(at + 1 + rand(2)))
	emit("sha1", crypt.sha1, str(200))
	emit("hmac_sha1", crypt.hmac_sha1, str(100), str(100))
	emit("xor_str", crypt.xor_str, str(30), str(5))
	emit("md5.sum", md5.sum, str(200))
	emit("md5.sumhexa", md5.sumhexa, str(100))
	emit("md5.hmacmd5", md5.hmacmd5, str(100), str(100))
	local a = str(20)
	emit("md5.exor", md5.exor, a, rand(4) == 0 and str(20) or M.random_string(rand, #a))
	local seed = rand(10) == 0 and str(20) or str(16)
	local mkey = rand(20) == 0 and str(300) or str(40)
	local msg = str(60)
	emit("md5.crypt", md5.crypt, msg, mkey, seed)
	local ok2, sealed = pcall(md5.crypt, msg, mkey, seed)
	if ok2 then
		emit("md5.decrypt", md5.decrypt, sealed, mkey)
	end
	emit("md5.decrypt2", md5.decrypt, str(40), str(10))
end

-- wrong types, which skynet's C functions reject with luaL_check* messages
local function type_calls(crypt, md5, emit)
	local key = "12345678"
	local args = { {}, { nil }, { {} }, { 12 }, { 1.5 }, { true }, { key }, { key, {} }, { key, "x", "y" },
		{ key, "x", 0.5 }, { key, "12345678", {} }, { key, key, key } }
	local names = {}
	for name in pairs(crypt) do
		if type(crypt[name]) == "function" and name ~= "randomkey" then
			names[#names + 1] = name
		end
	end
	table.sort(names)
	for _, name in ipairs(names) do
		for _, a in ipairs(args) do
			emit(name, crypt[name], table.unpack(a, 1, 3))
		end
	end
	for _, name in ipairs { "sum", "exor", "crypt", "decrypt" } do
		for _, a in ipairs(args) do
			emit("md5." .. name, md5[name], table.unpack(a, 1, 3))
		end
	end
end

-- the results of ~10,000 calls, as lines "name result-in-hex" or "name E:error"
function M.differential_lines(crypt, md5, rounds)
	local lines = {}
	local function emit(name, f, ...)
		local r = table.pack(pcall(f, ...))
		if r[1] then
			local out = {}
			for i = 2, r.n do
				out[#out + 1] = type(r[i]) == "string" and hex(r[i]) or tostring(r[i])
			end
			lines[#lines + 1] = name .. " " .. table.concat(out, ",")
		else
			-- the name of the function in "bad argument #1 to 'name'" depends on how it was found
			local err = tostring(r[2]):gsub("bad argument (#%d+) to '[^']*'", "bad argument %1")
			lines[#lines + 1] = name .. " E:" .. err
		end
	end
	local rand = M.random(20240601)
	for _ = 1, rounds or 400 do
		calls(crypt, md5, rand, emit)
	end
	type_calls(crypt, md5, emit)
	return lines
end

-- captured from the reference build (see the top of this file): the
-- digest of differential_lines and their number
M.DIFF_DIGEST = "4a9ef86db01d249cfb5fdbc22b7f5520055df1a5"
M.DIFF_LINES = 10423

function M.differential(crypt, md5)
	local lines = M.differential_lines(crypt, md5)
	eq(#lines, M.DIFF_LINES, "number of differential calls")
	eq(hex(crypt.sha1(table.concat(lines, "\n"))), M.DIFF_DIGEST, "digest of the differential calls")
end

-- garbage into every decoder and every function taking fixed-size input;
-- only a Lua error or a string may come out (sanitizer builds watch the rest)
function M.fuzz(crypt, md5, rounds)
	local rand = M.random(99)
	local results = 0
	local function try(f, ...)
		local ok, r = pcall(f, ...)
		if ok then
			assert(type(r) == "string", "a result that is not a string")
			results = results + 1
		else
			assert(type(r) == "string", "an error that is not a string")
		end
	end
	for _ = 1, rounds do
		local n = rand(8) == 0 and rand(600) or rand(40)
		local s = M.random_string(rand, n)
		local k = M.random_string(rand, rand(4) == 0 and rand(20) or 8)
		local mode = rand(4) - 1
		try(crypt.desdecode, k, s, mode)
		try(crypt.desdecode, k, M.random_string(rand, (n // 8) * 8), mode)
		try(crypt.desencode, k, s, mode)
		try(crypt.hexdecode, s)
		try(crypt.hexdecode, M.random_string(rand, n, "0123456789abcdefABCDEFg"))
		try(crypt.base64decode, s)
		try(crypt.base64decode, M.random_string(rand, n, "ABCabc019+/=\n "))
		try(crypt.dhexchange, k)
		try(crypt.dhsecret, k, s)
		try(crypt.hmac64, k, s)
		try(crypt.hmac64_md5, s, k)
		try(crypt.hmac_hash, k, s)
		try(crypt.xor_str, s, k)
		try(md5.decrypt, s, k)
		try(md5.exor, s, k)
	end
	return results
end

-- randomkey: 8 bytes, their xor never zero, no repeats in a thousand
function M.randomkey(crypt)
	local seen = {}
	for _ = 1, 1000 do
		local k = crypt.randomkey()
		eq(#k, 8, "randomkey length")
		local x = 0
		for i = 1, 8 do
			x = x ~ k:byte(i)
		end
		M.check(x ~= 0, "randomkey bytes xor to zero")
		M.check(not seen[k], "randomkey repeated")
		seen[k] = true
	end
end

function M.check(v, what)
	if not v then
		error(what, 2)
	end
end

-- everything, in the order a failure is easiest to read
function M.all(crypt, md5, fuzz_rounds)
	M.published(crypt, md5)
	M.skynet_constructions(crypt, md5)
	M.bad_input(crypt, md5)
	M.round_trips(crypt, md5)
	M.randomkey(crypt)
	M.differential(crypt, md5)
	return M.fuzz(crypt, md5, fuzz_rounds)
end

return M
