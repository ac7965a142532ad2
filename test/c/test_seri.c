/*
 * Unit tests for lua-seri.c (skynet.pack / skynet.unpack): round trips of
 * every type, the wire sizes, error messages, hostile input and a fuzz loop of
 * random values, their truncations and byte flips. Run under ASan by
 * `make test SANITIZE=1` so over-reads and leaks fail it too.
 *   test_seri [NAME]   run the tests (or only NAME), exit 0 when all pass
 *   test_seri bench [N]  print pack/unpack costs in ns/op (N iterations each,
 *                        default 2000000; a small N for callgrind)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "skynet_malloc.h"
#include "lua-seri.h"

#define FUZZ_ITERATIONS 3000

static int bench_iterations = 2000000;

/* free(buffer): releases a packed buffer */
static int l_free(lua_State *L) {
	skynet_free(lua_touserdata(L, 1));
	return 0;
}

/* tobytes(buffer, size) -> string copy */
static int l_tobytes(lua_State *L) {
	const char *p = lua_touserdata(L, 1);
	lua_pushlstring(L, p, (size_t)luaL_checkinteger(L, 2));
	return 1;
}

/* dup(string) -> buffer of exactly #string bytes, size */
static int l_dup(lua_State *L) {
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	void *p = skynet_malloc(len > 0 ? len : 1);
	memcpy(p, s, len);
	lua_pushlightuserdata(L, p);
	lua_pushinteger(L, (lua_Integer)len);
	return 2;
}

/* lud(n) -> the lightuserdata whose pointer value is n */
static int l_lud(lua_State *L) {
	lua_pushlightuserdata(L, (void *)(uintptr_t)luaL_checkinteger(L, 1));
	return 1;
}

static const char prelude[] =
	"function show(v)\n"
	"  if type(v) == \"string\" then return string.format(\"%q\", v) end\n"
	"  return tostring(v)\n"
	"end\n"
	"\n"
	"-- deep equality that tells integers from floats, -0.0 from 0.0 and sees nan == nan\n"
	"function same(a, b)\n"
	"  if type(a) ~= type(b) then return false end\n"
	"  if type(a) == \"number\" then\n"
	"    if math.type(a) ~= math.type(b) then return false end\n"
	"    if a ~= a then return b ~= b end\n"
	"    if a == 0 and math.type(a) == \"float\" then return 1 / a == 1 / b end\n"
	"    return a == b\n"
	"  end\n"
	"  if type(a) ~= \"table\" then return a == b end\n"
	"  local n = 0\n"
	"  for k, v in pairs(a) do\n"
	"    if type(k) == \"table\" or not same(v, rawget(b, k)) then return false end\n"
	"    n = n + 1\n"
	"  end\n"
	"  for _ in pairs(b) do n = n - 1 end\n"
	"  return n == 0\n"
	"end\n"
	"\n"
	"-- packs the values, then unpacks both the buffer and a string copy of it\n"
	"function roundtrip(...)\n"
	"  local n = select(\"#\", ...)\n"
	"  local p, sz = pack(...)\n"
	"  assert(type(p) == \"userdata\" and math.type(sz) == \"integer\", \"pack result\")\n"
	"  local s = tobytes(p, sz)\n"
	"  local r = table.pack(unpack(p, sz))\n"
	"  free(p)\n"
	"  local r2 = table.pack(unpack(s))\n"
	"  assert(r.n == n and r2.n == n, string.format(\"%d values, want %d\", r.n, n))\n"
	"  for i = 1, n do\n"
	"    local v = select(i, ...)\n"
	"    assert(same(r[i], v), string.format(\"value %d: %s, want %s\", i, show(r[i]), show(v)))\n"
	"    assert(same(r2[i], v), string.format(\"value %d from a string: %s\", i, show(r2[i])))\n"
	"  end\n"
	"  return s\n"
	"end\n"
	"\n"
	"function size(...)\n"
	"  local p, sz = pack(...)\n"
	"  free(p)\n"
	"  return sz\n"
	"end\n"
	"\n"
	"function raises(pattern, f, ...)\n"
	"  local ok, err = pcall(f, ...)\n"
	"  assert(not ok, \"no error, want \" .. pattern)\n"
	"  assert(string.find(tostring(err), pattern, 1, true),\n"
	"    string.format(\"error %s, want %s\", show(err), pattern))\n"
	"end\n"
	"\n"
	"-- unpacks bytes from an exact-size malloc'd copy, so any over-read trips ASan;\n"
	"-- returns pcall's results packed\n"
	"function unpack_copy(s)\n"
	"  local p, sz = dup(s)\n"
	"  local r = table.pack(pcall(unpack, p, sz))\n"
	"  free(p)\n"
	"  return r\n"
	"end\n"
	"\n"
	"function invalid(s)\n"
	"  local r = unpack_copy(s)\n"
	"  assert(not r[1], \"accepted \" .. show(s))\n"
	"  assert(string.find(r[2], \"Invalid serialize stream\", 1, true), r[2])\n"
	"end\n"
	"\n"
	"function nest(levels)\n"
	"  local t = {}\n"
	"  for _ = 2, levels do t = { t } end\n"
	"  return t\n"
	"end\n"
	"\n"
	"function packstring(...)\n"
	"  local p, sz = pack(...)\n"
	"  local s = tobytes(p, sz)\n"
	"  free(p)\n"
	"  return s\n"
	"end\n";

struct testcase {
	const char *name;
	const char *what;
	const char *code;
};

static const struct testcase cases[] = {
	{ "scalars", "nil, booleans, integers, floats, strings and pointers round-trip",
	"roundtrip()\n"
	"roundtrip(nil)\n"
	"roundtrip(true, false)\n"
	"roundtrip(nil, 1, nil, nil)\n"
	"local ints = { 0, 1, 27, 28, 255, 256, 65535, 65536, 0x7fffffff, 0xffffffff,\n"
	"  0x100000000, math.maxinteger, math.mininteger, -1, -27, -28, -29, -256,\n"
	"  -257, -65536, -65537, -0x80000000, -0x100000001, math.mininteger + 1 }\n"
	"for _, i in ipairs(ints) do roundtrip(i) end\n"
	"roundtrip(table.unpack(ints))\n"
	"local floats = { 0.0, -0.0, 1.0, 0.5, -1.5, 1 / 0, -1 / 0, 0 / 0, math.pi,\n"
	"  1e308, 5e-324, 2.0 ^ 63, -2.0 ^ 63, 255.0 }\n"
	"for _, f in ipairs(floats) do roundtrip(f) end\n"
	"roundtrip(table.unpack(floats))\n"
	"local nan = select(1, unpack(packstring(0 / 0)))\n"
	"assert(nan ~= nan, \"nan\")\n"
	"local bytes = {}\n"
	"for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end\n"
	"bytes = table.concat(bytes)\n"
	"for _, n in ipairs { 0, 1, 27, 28, 255, 256, 65535, 65536, 200000 } do\n"
	"  roundtrip(string.rep(bytes, n // 256 + 1):sub(1, n))\n"
	"end\n"
	"roundtrip(\"\\0\", \"a\\0b\", bytes)\n"
	"roundtrip(lud(0), lud(1), lud(0x7fffffffffff), lud(-1))\n"
	"assert(select(1, unpack(packstring(lud(12345)))) == lud(12345), \"pointer value\")\n"
	"roundtrip(\"m\", 1, \"x\", 2.5, true, nil, lud(7), {}, nil)\n" },
	{ "compact", "small values have short encodings",
	"assert(size() == 0, \"no values\")\n"
	"local want = {\n"
	"  { 1, nil }, { 1, true }, { 1, 0 }, { 2, 1 }, { 2, 255 }, { 3, 256 },\n"
	"  { 3, 65535 }, { 5, 65536 }, { 5, 0x7fffffff }, { 9, 0x80000000 },\n"
	"  { 9, math.maxinteger }, { 5, -1 }, { 5, -0x80000000 }, { 9, -0x80000001 },\n"
	"  { 9, math.mininteger }, { 9, 1.5 }, { 9, lud(1) }, { 1, \"\" },\n"
	"  { 4, \"abc\" }, { 32, string.rep(\"x\", 31) }, { 35, string.rep(\"x\", 32) },\n"
	"  { 65538, string.rep(\"x\", 65535) }, { 65541, string.rep(\"x\", 65536) },\n"
	"  { 2, {} }, { 8, { 1, 2, 3 } }, { 6, { a = 1 } },\n"
	"}\n"
	"for i, w in ipairs(want) do\n"
	"  local got = size(w[2])\n"
	"  assert(got == w[1], string.format(\"case %d (%s): %d bytes, want %d\", i, show(w[2]), got, w[1]))\n"
	"end\n"
	"assert(size(\"m\", 1, \"x\") == 6, \"small message\")\n"
	"-- arrays of 31 values and more carry their length as a number value\n"
	"local t = {}\n"
	"for i = 1, 30 do t[i] = true end\n"
	"assert(packstring(t):sub(1, 1) == \"\\xf6\", \"30 values: length in the cookie\")\n"
	"t[31] = true\n"
	"assert(packstring(t):sub(1, 3) == \"\\xfe\\x0a\\x1f\", \"31 values: length follows\")\n"
	"assert(packstring(lud(0x0102030405060708)) == \"\\x03\\x08\\x07\\x06\\x05\\x04\\x03\\x02\\x01\", \"pointer bytes\")\n" },
	{ "tables", "nested tables round-trip; depth and cycles are refused",
	"roundtrip({})\n"
	"roundtrip({ 1, 2, 3 })\n"
	"roundtrip({ 1, nil, 3 })\n"
	"roundtrip({ nil, nil, 3 })\n"
	"roundtrip({ a = 1, b = { c = { d = \"e\" } }, [1.5] = true, [true] = false,\n"
	"  [false] = 0, [-7] = \"neg\", [0] = 0, [math.maxinteger] = 1, [lud(9)] = \"p\" })\n"
	"roundtrip({ 1, 2, x = \"y\", [10] = 10, [4] = 4 })\n"
	"local big = {}\n"
	"for i = 1, 1000 do big[i] = i * 3 end\n"
	"for i = 1, 1000 do big[\"k\" .. i] = { i, tostring(i), i + 0.5 } end\n"
	"roundtrip(big, big)\n"
	"roundtrip(nest(33))\n"
	"roundtrip(1, nest(33), \"after\")\n"
	"\n"
	"-- a table as key comes back as an equal table\n"
	"local p, sz = pack({ [{ 1, 2 }] = \"v\" })\n"
	"local t = unpack(p, sz)\n"
	"free(p)\n"
	"local k, v = next(t)\n"
	"assert(same(k, { 1, 2 }) and v == \"v\" and next(t, k) == nil, \"table key\")\n"
	"\n"
	"-- shared references are copied\n"
	"local shared = { 1 }\n"
	"p, sz = pack({ shared, shared })\n"
	"t = unpack(p, sz)\n"
	"free(p)\n"
	"assert(t[1] ~= t[2] and same(t[1], shared) and same(t[2], shared), \"shared table\")\n"
	"\n"
	"-- only __pairs among metamethods matters; the copy has no metatable\n"
	"local meta = setmetatable({ 1, 2 }, { __index = function() return 0 end, __len = function() return 9 end })\n"
	"p, sz = pack(meta)\n"
	"t = unpack(p, sz)\n"
	"free(p)\n"
	"assert(getmetatable(t) == nil and same(t, { 1, 2 }), \"metamethods ignored\")\n"
	"\n"
	"-- 33 nested tables pack, a value inside the 33rd does not (skynet's limit)\n"
	"raises(\"serialize can't pack too depth table\", pack, nest(34))\n"
	"raises(\"serialize can't pack too depth table\", pack, 1, { a = nest(33) })\n"
	"local t = nest(33)\n"
	"local inner = t\n"
	"while inner[1] do inner = inner[1] end\n"
	"inner[1] = 1\n"
	"raises(\"serialize can't pack too depth table\", pack, t)\n"
	"local cycle = {}\n"
	"cycle.self = cycle\n"
	"raises(\"serialize can't pack too depth table\", pack, cycle)\n" },
	{ "metapairs", "__pairs drives what is packed",
	"local function proxy(n)\n"
	"  return setmetatable({ \"hidden\" }, { __pairs = function(t)\n"
	"    return function(_, c)\n"
	"      c = (c or 0) + 1\n"
	"      if c <= n then return c, c * 10 end\n"
	"    end, t, nil\n"
	"  end })\n"
	"end\n"
	"local p, sz = pack(proxy(3))\n"
	"local t = unpack(p, sz)\n"
	"free(p)\n"
	"assert(same(t, { 10, 20, 30 }), \"__pairs drives packing\")\n"
	"roundtrip(setmetatable({ a = 1, 2 }, { __pairs = function(t) return next, t, nil end }))\n"
	"p, sz = pack({ proxy(2), x = proxy(0) })\n"
	"t = unpack(p, sz)\n"
	"free(p)\n"
	"assert(same(t, { { 10, 20 }, x = {} }), \"nested __pairs\")\n"
	"raises(\"boom\", pack, string.rep(\"x\", 1000), setmetatable({}, { __pairs = function() error(\"boom\") end }))\n"
	"raises(\"Unsupport type function to serialize\", pack,\n"
	"  setmetatable({}, { __pairs = function(t) return next, { f = print }, nil end }))\n"
	"raises(\"table index is NaN\", pack, setmetatable({}, { __pairs = function(t)\n"
	"  return function(_, k) if k == nil then return 0 / 0, 1 end end, t, nil\n"
	"end }))\n" },
	{ "longstrings", "long strings packed by reference: many, nested, made by __pairs",
	"local function long(i, n) return string.rep(string.char(65 + i % 26), n or 4096 + i) end\n"
	"local many = {}\n"
	"for i = 1, 70 do many[i] = long(i) end\n"
	"roundtrip(table.unpack(many))\n"
	"roundtrip(many, \"between\", long(3, 100000), { deep = { long(5) } }, 1.5)\n"
	"roundtrip(long(1, 4095), long(2, 4096), long(3, 4097))\n"
	"-- strings that exist only while __pairs hands them over, collected meanwhile\n"
	"local made = setmetatable({}, { __pairs = function(t)\n"
	"  return function(_, c)\n"
	"    c = (c or 0) + 1\n"
	"    collectgarbage()\n"
	"    if c <= 40 then return c, long(c) .. c end\n"
	"  end, t, nil\n"
	"end })\n"
	"local p, sz = pack(made, string.rep(\"z\", 10))\n"
	"collectgarbage()\n"
	"local t, z = unpack(p, sz)\n"
	"free(p)\n"
	"for c = 1, 40 do assert(t[c] == long(c) .. c, \"string made by __pairs \" .. c) end\n"
	"assert(z == string.rep(\"z\", 10), \"value after them\")\n"
	"-- an error after long strings were referenced leaves nothing behind\n"
	"for _ = 1, 50 do raises(\"Unsupport type function to serialize\", pack, long(1), long(2), print) end\n" },
	{ "unsupported", "functions, threads and full userdata are refused",
	"raises(\"Unsupport type function to serialize\", pack, print)\n"
	"raises(\"Unsupport type function to serialize\", pack, function() end)\n"
	"raises(\"Unsupport type thread to serialize\", pack, coroutine.create(print))\n"
	"raises(\"Unsupport type userdata to serialize\", pack, io.stdout)\n"
	"raises(\"Unsupport type function to serialize\", pack, 1, { 1, { x = print } })\n"
	"raises(\"Unsupport type function to serialize\", pack, { [print] = 1 })\n"
	"-- failing after the first block was outgrown must not leak the blocks\n"
	"for _ = 1, 200 do\n"
	"  raises(\"Unsupport type function to serialize\", pack,\n"
	"    string.rep(\"x\", 5000), { string.rep(\"y\", 300) }, print)\n"
	"end\n" },
	{ "inputs", "the accepted forms of unpack arguments",
	"assert(select(\"#\", unpack()) == 0, \"no argument\")\n"
	"assert(select(\"#\", unpack(nil)) == 0, \"nil\")\n"
	"assert(select(\"#\", unpack(\"\")) == 0, \"empty string\")\n"
	"assert(select(\"#\", unpack(lud(0), 0)) == 0, \"NULL, 0\")\n"
	"local p, sz = pack(1, 2, 3)\n"
	"assert(select(\"#\", unpack(p, 0)) == 0, \"size 0\")\n"
	"assert(select(\"#\", unpack(p, sz)) == 3, \"three values\")\n"
	"assert(select(3, unpack(p, sz)) == 3, \"third value\")\n"
	"free(p)\n"
	"p, sz = pack()\n"
	"assert(sz == 0 and type(p) == \"userdata\", \"empty pack\")\n"
	"assert(select(\"#\", unpack(p, sz)) == 0, \"empty unpack\")\n"
	"free(p)\n"
	"raises(\"negative size\", unpack, lud(1), -1)\n"
	"raises(\"number expected\", unpack, lud(1))\n" },
	{ "hostile", "corrupt or hostile streams raise errors",
	"invalid(\"\\x25\\xff\\xff\\xff\\xffabc\")                 -- string of 2^32-1 bytes\n"
	"invalid(\"\\x15\\xff\\xffabc\")                         -- string cut short\n"
	"invalid(\"\\x1ca\")                                   -- short string cut short\n"
	"invalid(\"\\x15\\xff\")                                 -- length cut short\n"
	"invalid(\"\\x0d\\x01a\")                               -- long string cookies other than 2, 4\n"
	"invalid(\"\\x35\\x01\\x00\\x00\\x00\\x00\\x00a\")\n"
	"invalid(\"\\xfe\\x32\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x7f\\x00\") -- array of 2^63-1 values\n"
	"invalid(\"\\xfe\\x22\\x00\\x00\\x00\\x10\\x00\\x00\")         -- array of 2^28 values\n"
	"invalid(\"\\xfe\\x22\\xff\\xff\\xff\\xff\\x00\")             -- negative array length\n"
	"invalid(\"\\xfe\\x42\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\") -- float array length\n"
	"invalid(\"\\xfe\\x0c\\x00\")                             -- string array length\n"
	"invalid(\"\\xfe\")                                     -- array length missing\n"
	"invalid(\"\\x06\")                                     -- no terminator\n"
	"invalid(\"\\x06\\x0a\\x01\")                             -- key without value\n"
	"invalid(\"\\x0e\")                                     -- array value missing\n"
	"invalid(\"\\x07\")                                     -- type 7\n"
	"invalid(\"\\xff\")\n"
	"invalid(\"\\x1a\\x00\\x00\\x00\")                         -- number cookies 3, 5, 7, 9..31\n"
	"invalid(\"\\x2a\\x00\\x00\\x00\\x00\\x00\")\n"
	"invalid(\"\\x4a\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\")\n"
	"invalid(\"\\xfa\")\n"
	"invalid(\"\\x42\\x00\")                                 -- float cut short\n"
	"invalid(\"\\x32\\x00\\x00\")                             -- int64 cut short\n"
	"invalid(\"\\x03\\x01\\x02\")                             -- pointer cut short\n"
	"invalid(\"\\x06\\x42\\x00\\x00\\x00\\x00\\x00\\x00\\xf8\\x7f\\x0a\\x01\\x00\") -- nan key\n"
	"\n"
	"-- levels tables, one inside the other\n"
	"local function nested(levels)\n"
	"  return string.rep(\"\\x0e\", levels - 1) .. \"\\x06\\x00\" .. string.rep(\"\\x00\", levels - 1)\n"
	"end\n"
	"local r = unpack_copy(nested(33))\n"
	"assert(r[1] and r.n == 2 and type(r[2]) == \"table\", \"33 levels unpack\")\n"
	"invalid(nested(34))\n"
	"invalid(nested(100000))\n"
	"-- what skynet's reader accepts beyond what it writes\n"
	"r = unpack_copy(\"\\x08\\x11\\x06\\xf8\")   -- nil and true with other cookies\n"
	"assert(r[1] and r.n == 4 and r[2] == nil and r[3] == true and same(r[4], {}), \"lenient cookies\")\n"
	"r = unpack_copy(\"\\x06\\x0a\\x01\\x00\\x00\")       -- a pair whose value is nil\n"
	"assert(r[1] and same(r[2], {}), \"nil value\")\n"
	"r = unpack_copy(\"\\x32\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x7f\\x32\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\")\n"
	"assert(r[2] == math.maxinteger and r[3] == math.mininteger, \"integer limits\")\n"
	"raises(\"too many values\", unpack, string.rep(\"\\x00\", 2000000))\n" },
	{ "fuzz", "random values, their truncations and byte flips",
	"local R = math.random\n"
	"math.randomseed(20240601)\n"
	"local ints = { 0, 1, 2, 27, 28, 255, 256, 65535, 65536, 0xffffffff, 0x100000000,\n"
	"  math.maxinteger, math.mininteger, -1, -28, -29, -256, -257 }\n"
	"local floats = { 0.0, -0.0, 0.5, 1.0, 1 / 0, -1 / 0, 1e308, 5e-324, -2.5 }\n"
	"\n"
	"local function rstring()\n"
	"  local n = R(8) == 1 and R(0, 300) or R(0, 12)\n"
	"  local t = {}\n"
	"  for i = 1, n do t[i] = string.char(R(0, 255)) end\n"
	"  return table.concat(t)\n"
	"end\n"
	"\n"
	"local function rnumber()\n"
	"  local c = R(4)\n"
	"  if c == 1 then return ints[R(#ints)]\n"
	"  elseif c == 2 then return R(math.mininteger, math.maxinteger)\n"
	"  elseif c == 3 then return floats[R(#floats)]\n"
	"  else return (R() - 0.5) * 10.0 ^ R(-300, 300) end\n"
	"end\n"
	"\n"
	"local function rkey()\n"
	"  local c = R(5)\n"
	"  if c == 1 then return rnumber()\n"
	"  elseif c == 2 then return R(8) == 1\n"
	"  elseif c == 3 then return lud(R(0, 1 << 40))\n"
	"  else return rstring() end\n"
	"end\n"
	"\n"
	"local rvalue\n"
	"local function rtable(depth)\n"
	"  local t = {}\n"
	"  for i = 1, R(0, 6) do t[i] = rvalue(depth) end\n"
	"  for _ = 1, R(0, 5) do t[rkey()] = rvalue(depth) end\n"
	"  return t\n"
	"end\n"
	"\n"
	"function rvalue(depth)\n"
	"  local c = R(depth < 3 and 8 or 6)\n"
	"  if c == 1 then return nil\n"
	"  elseif c == 2 then return R(2) == 1\n"
	"  elseif c == 3 then return R(8) == 1 and 0 / 0 or rnumber()\n"
	"  elseif c == 4 or c == 5 then return rstring()\n"
	"  elseif c == 6 then return lud(R(0, 1 << 40))\n"
	"  else return rtable(depth + 1) end\n"
	"end\n"
	"\n"
	"local function check_error(r, what)\n"
	"  assert(r[1] or string.find(r[2], \"Invalid serialize stream\", 1, true), what .. \": \" .. tostring(r[2]))\n"
	"end\n"
	"\n"
	"for iter = 1, FUZZ_ITERATIONS do\n"
	"  local args = { n = R(4) }\n"
	"  for i = 1, args.n do args[i] = rvalue(0) end\n"
	"  local p, sz = pack(table.unpack(args, 1, args.n))\n"
	"  local s = tobytes(p, sz)\n"
	"  local r = table.pack(unpack(p, sz))\n"
	"  free(p)\n"
	"  assert(r.n == args.n, \"iteration \" .. iter .. \": value count\")\n"
	"  for i = 1, args.n do\n"
	"    assert(same(r[i], args[i]), \"iteration \" .. iter .. \": value \" .. i)\n"
	"  end\n"
	"  local one_table = args.n == 1 and type(args[1]) == \"table\"\n"
	"  for len = 0, sz - 1 do\n"
	"    r = unpack_copy(s:sub(1, len))\n"
	"    check_error(r, \"truncation\")\n"
	"    assert(not (one_table and len > 0 and r[1]), \"a cut table parsed\")\n"
	"  end\n"
	"  for _ = 1, 16 do\n"
	"    local pos = R(sz)\n"
	"    r = unpack_copy(s:sub(1, pos - 1) .. string.char(R(0, 255)) .. s:sub(pos + 1))\n"
	"    check_error(r, \"byte flip\")\n"
	"  end\n"
	"end\n" },
};

static const char bench[] =
	"local N = BENCH_ITERATIONS\n"
	"local clock = os.clock\n"
	"local function report(what, t0)\n"
	"  print(string.format(\"%-34s %6.0f ns/op\", what, (clock() - t0) / N * 1e9))\n"
	"end\n"
	"local record = { id = 1001, name = \"alice\", level = 30, hp = 1000.5, x = 10,\n"
	"  y = -20, online = true, guild = \"knights\", exp = 123456789, title = \"\" }\n"
	"local t0 = clock()\n"
	"for i = 1, N do free((pack(\"m\", i, \"x\"))) end\n"
	"report('pack(\"m\", i, \"x\") + free', t0)\n"
	"local p, sz = pack(\"m\", 12345, \"x\")\n"
	"t0 = clock()\n"
	"for _ = 1, N do unpack(p, sz) end\n"
	"report('unpack(\"m\", i, \"x\")', t0)\n"
	"free(p)\n"
	"t0 = clock()\n"
	"for _ = 1, N do free((pack(record))) end\n"
	"report(\"pack(10-field table) + free\", t0)\n"
	"p, sz = pack(record)\n"
	"t0 = clock()\n"
	"for _ = 1, N do unpack(p, sz) end\n"
	"report(\"unpack(10-field table)\", t0)\n"
	"free(p)\n"
	"t0 = clock()\n"
	"for _ = 1, N do free(nil) end\n"
	"report(\"(loop and free() call alone)\", t0)\n";

static int traceback(lua_State *L) {
	luaL_traceback(L, L, lua_tostring(L, 1), 1);
	return 1;
}

/* runs a chunk with the helpers loaded in a fresh state; 0 when it passes */
static int run(const char *name, const char *code) {
	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	lua_register(L, "pack", luaseri_pack);
	lua_register(L, "unpack", luaseri_unpack);
	lua_register(L, "free", l_free);
	lua_register(L, "tobytes", l_tobytes);
	lua_register(L, "dup", l_dup);
	lua_register(L, "lud", l_lud);
	lua_pushinteger(L, FUZZ_ITERATIONS);
	lua_setglobal(L, "FUZZ_ITERATIONS");
	lua_pushinteger(L, bench_iterations);
	lua_setglobal(L, "BENCH_ITERATIONS");
	lua_pushcfunction(L, traceback);
	int status = luaL_loadbuffer(L, prelude, sizeof prelude - 1, "=prelude");
	if (status == LUA_OK)
		status = lua_pcall(L, 0, 0, 1);
	if (status == LUA_OK)
		status = luaL_loadbuffer(L, code, strlen(code), name);
	if (status == LUA_OK)
		status = lua_pcall(L, 0, 0, 1);
	if (status != LUA_OK)
		printf("FAIL %s: %s\n", name, lua_tostring(L, -1));
	lua_close(L);
	return status != LUA_OK;
}

int main(int argc, char *argv[]) {
	if (argc > 1 && strcmp(argv[1], "bench") == 0) {
		if (argc > 2)
			bench_iterations = atoi(argv[2]);
		return run("=bench", bench);
	}
	int ncase = (int)(sizeof cases / sizeof cases[0]);
	int failed = 0, nrun = 0;
	for (int i = 0; i < ncase; i++) {
		if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
			continue;
		nrun++;
		char chunkname[64];
		snprintf(chunkname, sizeof chunkname, "=%s", cases[i].name);
		int f = run(chunkname, cases[i].code);
		if (!f)
			printf("ok   %s: %s\n", cases[i].name, cases[i].what);
		failed += f;
	}
	printf("test_seri: %d passed, %d failed\n", nrun - failed, failed);
	return nrun == 0 || failed != 0;
}
