-- skynet.datasheet: skynet's testdatasheet (checked, not printed), values of
-- every type, compiled sheets (byte for byte with skynet's format, vectors in
-- datasheet_vectors.lua), bad input, 20 reader services reading while the
-- builder updates (never a mix of versions, every reader reaches the last),
-- and old versions freed as soon as readers have them (the C store's
-- counters), also when a reader never reads again, drops its table or is killed.
local skynet = require "skynet"
require "skynet.manager"
local builder = require "skynet.datasheet.builder"
local datasheet = require "skynet.datasheet"
local dump = require "skynet.datasheet.dump"
local core = require "skynet.sharedata.core"
local vectors = require "datasheet_vectors"
local T = require "testlib"

local function unhex(h)
	return (h:gsub("..", function(x)
		return string.char(tonumber(x, 16))
	end))
end

local function hex(s)
	return (s:gsub(".", function(c)
		return string.format("%02x", c:byte())
	end))
end

-- polls until f() is true or ticks pass
local function eventually(ticks, what, f)
	local deadline = skynet.now() + ticks
	while not f() do
		T.ok(skynet.now() < deadline, what)
		skynet.sleep(1)
	end
end

local function docs()
	collectgarbage()
	return core.stat().docs
end

-- skynet's test/testdatasheet.lua: a child reads, the parent updates twice
local function testdatasheet()
	builder.new("foobar", { a = 1, b = 2, c = { 3 } })
	local child = skynet.newservice "datasheet_reader"
	T.eq(table.concat(skynet.call(child, "lua", "dump", "foobar", "[CHILD]"), "|"),
		"[CHILD] a 1|[CHILD] b 2|[CHILD] c table|[CHILD].c 1 3", "the child's dump")
	local t = datasheet.query "foobar"
	T.eq(datasheet.query "foobar", t, "one table per sheet in a service")
	local c = t.c
	T.eq(t.a + t.b + c[1], 6, "[1]")
	builder.update("foobar", { b = 4, c = { 5 } })
	eventually(100, "this service sees the update", function()
		return t.b == 4
	end)
	T.eq(t.a, nil, "[2] a is gone")
	T.eq(t.b, 4, "[2] b")
	T.eq(t.c, c, "[2] c is the same table")
	T.eq(c[1], 5, "[2.c] the held table shows the new version")
	eventually(100, "the child sees the update", function()
		local lines = skynet.call(child, "lua", "dump", "foobar", "[CHILD]")
		return table.concat(lines, "|") == "[CHILD] b 4|[CHILD] c table|[CHILD].c 1 5"
	end)
	builder.update("foobar", { a = 6, c = 7, d = 8 })
	eventually(100, "this service sees the second update", function()
		return t.d == 8
	end)
	T.eq(t.a + t.c + t.d, 21, "[3]")
	T.raises("the key [c] doesn't exist after update", function()
		return c[1]
	end)
	skynet.kill(child)
end

local function values()
	local src = {
		1, 2, 3, "four", 5.5,
		int = math.maxinteger, f = 0.1, yes = true, no = false, s = "a\0b",
		[2.5] = "float key", [true] = "true key",
		nested = { list = { 10, 20, 30 }, deep = { er = { est = "x" } } },
	}
	src.nested.self = src -- cycles are kept
	builder.new("values", src)
	local t = datasheet.query "values"
	T.eq(type(t), "table", "type()")
	T.eq(#t, 5, "#")
	T.eq(t.int, math.maxinteger, "64-bit integers stay exact")
	T.eq(t.f, 0.1, "doubles stay exact")
	T.eq(math.type(t[5]), "float", "floats stay floats")
	T.eq(t.yes, true, "true")
	T.eq(t.no, false, "false")
	T.eq(t.s, "a\0b", "a zero byte in a string")
	T.eq(t[2.5] .. t[true], "float keytrue key", "keys other than strings")
	T.eq(t.nested.deep.er.est, "x", "nested")
	T.eq(t.nested.self.nested.list[2], 20, "a cycle")
	local sum = 0
	for i, v in ipairs(t.nested.list) do
		sum = sum + i * v
	end
	T.eq(sum, 140, "ipairs")
	local n = 0
	for _ in pairs(t) do
		n = n + 1
	end
	T.eq(n, 13, "pairs")
	T.raises("attempt to write [nested.x] of a read-only table", function()
		t.nested.x = 1
	end)
	-- the service, as the console's info shows it
	local service = require "skynet.service"
	local info = skynet.call(service.query "datasheet", "debug", "INFO")
	T.eq(math.type(info.values.version), "integer", "info: the version of a sheet")
	T.ok(info.values.refs >= 2, "info: the references to it (the service's, this reader's)")
end

local function compiled()
	for _, v in ipairs(vectors) do
		local src = load("return " .. v.source)()
		T.eq(hex(builder.compile(src)), v.bytes, "compile " .. v.name .. " as skynet does")
		T.eq(hex(dump.dump(dump.undump(unhex(v.bytes)))), v.bytes, "undump " .. v.name)
	end
	local d = vectors.diff
	T.eq(hex(dump.diff(unhex(d.last), unhex(d.current))), d.bytes, "diff as skynet does")
	local after = dump.undump(unhex(d.bytes))
	T.eq(after[1][1] + after.c[1] + after.c[2][1] + after.c[3][1], 9 + 5 + 6 + 7, "a diff reads back")
	-- a sheet compiled by skynet, with several keys (their order is skynet's hash's)
	builder.new("fromskynet", unhex(vectors.multi))
	local t = datasheet.query "fromskynet"
	T.eq(t[1], "one", "array")
	T.eq(t.a, 1, "integer")
	T.eq(t.b, "two", "string")
	T.eq(t.c.x, 1.5, "real")
	T.eq(t.c.y[1], "z", "nested")
	T.eq(t.d, true, "boolean")
	-- what the format keeps: 32-bit integers, 32-bit floats
	builder.new("lossy", builder.compile { big = 2 ^ 40 + 1, third = 1 / 3, small = -5, half = 0.5 })
	t = datasheet.query "lossy"
	T.eq(t.small, -5, "an int32")
	T.eq(math.type(t.small), "integer", "an int32 stays an integer")
	T.eq(t.half, 0.5, "a float32")
	T.eq(t.third, string.unpack("<f", string.pack("<f", 1 / 3)), "rounded to a float32")
	T.eq(t.big, 2.0 ^ 40, "a big integer becomes a float32")
	builder.update("lossy", builder.compile { small = 6 })
	eventually(100, "the update is seen", function()
		return t.small == 6
	end)
	T.eq(t.small, 6, "update with a compiled sheet")
	T.eq(t.big, nil, "update with a compiled sheet drops old keys")
end

local function bad_input()
	T.raises("a table or a compiled sheet expected for x, got number", builder.new, "x", 42)
	T.raises("bad compiled sheet", builder.new, "x", "garbage!")
	T.raises("datasheet x: unsupported value type function", builder.new, "x", { f = print })
	T.raises("datasheet x: unsupported key type table", builder.new, "x", { [{}] = 1 })
	T.raises("datasheet: foobar exists already", builder.new, "foobar", {})
	T.raises("datasheet: no data named nosuch", builder.update, "nosuch", {})
	T.raises("datasheet: a sheet needs a name", builder.new, nil, {})
	T.raises("datasheet: no data named nosuch", datasheet.query, "nosuch")
	T.raises("a table expected to compile, got string", builder.compile, "x")
	T.raises("unsupported value type function at [a.1]", builder.compile, { a = { print } })
	T.raises("a key must be a string or in the array part, not [3]", builder.compile, { 1, [3] = 3 })
	T.raises("a string with a zero byte at [s]", builder.compile, { s = "a\0b" })
	local cyc = {}
	cyc.again = { cyc }
	T.raises("a cycle at [again.1]", builder.compile, cyc)
	-- forged messages to the service
	local service = require "skynet.service"
	local addr = service.query "datasheet"
	T.eq(select(2, skynet.call(addr, "lua", "new", "forged", 123456789)), "datasheet: no document 123456789 for forged", "a forged id")
	T.eq(select(2, skynet.call(addr, "lua", "new", "forged", "x")), "datasheet: no document x for forged", "not an id")
	T.raises("call failed", skynet.call, addr, "lua", "nosuchcommand") -- and logged
	-- every cut of a compiled sheet, and random damage: an error or a table, never a crash
	local good = unhex(vectors.multi)
	for i = 0, #good - 1 do
		T.raises("bad compiled sheet", dump.undump, good:sub(1, i))
	end
	math.randomseed(7)
	local failed = 0
	for _ = 1, 3000 do
		local b = { good:byte(1, -1) }
		for _ = 1, math.random(1, 4) do
			b[math.random(#b)] = math.random(0, 255)
		end
		local ok, err = pcall(dump.undump, string.char(table.unpack(b)))
		if not ok then
			T.ok(tostring(err):find("bad compiled sheet", 1, true), "a damaged sheet's error: " .. tostring(err))
			failed = failed + 1
		end
	end
	T.ok(failed > 100, "damage is noticed")
	-- a sheet that is not there yet is not remembered as missing
	local r = skynet.newservice "datasheet_reader"
	T.eq(skynet.call(r, "lua", "query", "later"), false, "not there yet")
	builder.new("later", { 1 })
	T.eq(skynet.call(r, "lua", "query", "later"), true, "there now")
	skynet.kill(r)
end

local function versioned(v)
	local t = { version = v, list = {}, map = {}, nested = { deep = { value = v } } }
	for i = 1, 100 do
		t.list[i] = v
		t.map["k" .. i] = v
	end
	return t
end

-- 20 services read while the builder updates; old versions go once read past
local function concurrent()
	local base = docs()
	builder.new("live", versioned(0))
	local readers = {}
	for i = 1, 20 do
		readers[i] = skynet.newservice "datasheet_reader"
		skynet.call(readers[i], "lua", "watch", "live")
	end
	for v = 1, 40 do
		skynet.sleep(1)
		builder.update("live", versioned(v))
	end
	eventually(300, "old versions freed while 20 services read", function()
		return docs() == base + 1
	end)
	for i, r in ipairs(readers) do
		eventually(300, "reader " .. i .. " reaches the last version", function()
			local report = skynet.call(r, "lua", "stop")
			skynet.call(r, "lua", "watch", "live")
			return report.last == 40
		end)
		local report = skynet.call(r, "lua", "stop")
		T.eq(report.torn, 0, "reader " .. i .. ": no read mixes versions")
		T.eq(report.backwards, 0, "reader " .. i .. ": versions only go forward")
		T.ok(report.reads > report.versions, "reader " .. i .. " read")
		skynet.kill(r)
	end
	T.eq(docs(), base + 1, "only the current version is left")
end

-- a version lives while some reader has it, and not longer
local function freed()
	local base = docs()
	local big = versioned(1)
	big.blob = string.rep("x", 1 << 20)
	builder.new("big", big)
	local before = core.stat().bytes
	local holders = {}
	for i = 1, 5 do
		holders[i] = skynet.newservice "datasheet_reader"
		T.eq(skynet.call(holders[i], "lua", "hold", "big"), 1, "held")
	end
	T.eq(docs(), base + 1, "five readers, one copy")
	builder.update("big", versioned(2))
	-- the readers never read again, yet let version 1 go
	eventually(300, "an old version no reader reads is freed", function()
		return docs() == base + 1
	end)
	T.ok(core.stat().bytes < before - (1 << 20), "its megabyte is freed")
	T.eq(select(2, skynet.call(holders[1], "lua", "read_held")), 2, "a held nested table shows the new version")
	-- readers that drop the sheet, or are killed, keep nothing
	skynet.call(holders[1], "lua", "drop")
	skynet.kill(holders[2])
	builder.update("big", versioned(3))
	eventually(300, "nothing kept for dropped or killed readers", function()
		return docs() == base + 1
	end)
	for i = 3, 5 do
		T.eq(skynet.call(holders[i], "lua", "read_held"), 3, "reader " .. i .. " reads the newest")
		skynet.kill(holders[i])
	end
	skynet.kill(holders[1])
	builder.update("big", versioned(4))
	eventually(300, "one version after every reader left", function()
		return docs() == base + 1
	end)
end

-- 10 readers of a 2 MB sheet: each holds and reads all of it, without a copy
local function no_copies()
	local rows, want = {}, 0
	for i = 1, 20000 do
		rows[i] = { id = i, name = string.format("row %060d", i) }
		want = want + i + 64
	end
	local others = core.stat().bytes
	builder.new("wide", { rows = rows })
	local bytes = core.stat().bytes - others
	T.ok(bytes > 2e6, "a 2 MB sheet")
	local readers = {}
	for i = 1, 10 do
		readers[i] = skynet.newservice "datasheet_reader"
		local n, grown = skynet.call(readers[i], "lua", "readall", "wide")
		T.eq(n, want, "reader " .. i .. " read every value")
		skynet.error(string.format("reader %d grew %d KB reading a %d KB sheet", i, grown // 1024, bytes // 1024))
		T.ok(grown < 200000, string.format("reader %d grew %d KB, not the sheet's %d KB", i, grown // 1024, bytes // 1024))
	end
	T.eq(core.stat().bytes, others + bytes, "the sheet is held once")
	for _, r in ipairs(readers) do
		skynet.kill(r)
	end
end

T.run(function()
	testdatasheet()
	values()
	compiled()
	bad_input()
	concurrent()
	freed()
	no_copies()
end)
