-- skynet.sharetable: loadtable/loadstring/loadfile, query, queryall, update;
-- read-only tables; one copy of the data for any number of readers; a
-- table keeps its version until update; old versions freed.
local skynet = require "skynet"
require "skynet.manager"
local sharetable = require "skynet.sharetable"
local core = require "skynet.sharedata.core"
local T = require "testlib"

local function settle()
	collectgarbage()
	collectgarbage()
	skynet.sleep(2)
	return core.stat()
end

local function loaders()
	sharetable.loadtable("test", { x = 1, y = { "hello world" }, ["hello world"] = true })
	local t = sharetable.query "test"
	T.eq(type(t), "table", "a table")
	T.eq(t.x, 1, "x")
	T.eq(t.y[1], "hello world", "nested")
	T.eq(t["hello world"], true, "string key")
	local keys = {}
	for k in pairs(t) do
		keys[#keys + 1] = tostring(k)
	end
	table.sort(keys)
	T.eq(table.concat(keys, ","), "hello world,x,y", "pairs")
	T.raises("read-only", function() t.x = 2 end)
	T.raises("read-only", function() t.y[2] = 2 end)

	sharetable.loadstring("test", "return { ... }", 1, 2, 3)
	local t2 = sharetable.query "test"
	T.eq(#t2, 3, "loadstring with arguments")
	T.eq(t2[3], 3, "loadstring value")
	T.eq(t.x, 1, "the first table keeps its version")

	local file = os.tmpname()
	local f = io.open(file, "w")
	f:write("local n = ... return { n = n, list = { 1, 2, 3 } }")
	f:close()
	sharetable.loadfile(file, 7)
	local t3 = sharetable.query(file)
	os.remove(file)
	T.eq(t3.n, 7, "loadfile with an argument")
	T.eq(#t3.list, 3, "loadfile nested")

	T.eq(sharetable.query "nosuch", nil, "an unknown name is nil")
	T.raises("no table but a number", sharetable.loadstring, "bad", "return 1")
	T.raises("cannot open", sharetable.loadfile, "/nonexistent/file.lua")
	T.raises("unexpected symbol", sharetable.loadstring, "bad", "return {")
	T.raises("unsupported value type function", sharetable.loadstring, "bad", "return { f = print }")
	T.raises("needs a table", sharetable.loadtable, "bad", 1)
end

local function queryall()
	sharetable.loadtable("test_one", { message = "hello one", x = 1, 1 })
	sharetable.loadtable("test_two", { message = "hello two", x = 2, 2 })
	sharetable.loadtable("test_three", { message = "hello three", x = 3, 3 })
	local list = sharetable.queryall { "test_one", "test_two", "nosuch" }
	T.eq(list.test_one.message, "hello one", "queryall one")
	T.eq(list.test_two[1], 2, "queryall two")
	T.eq(list.test_three, nil, "queryall gives only the names listed")
	T.eq(list.nosuch, nil, "queryall skips unknown names")
	local all = sharetable.queryall()
	T.eq(all.test_three.x, 3, "queryall without a list gives every name")
	T.ok(all.test and all.test_one and all.test_two, "queryall: all names")
end

-- many readers, one copy; update switches a reader's tables; old versions freed
local function readers_and_versions()
	local data = {}
	for i = 1, 2000 do
		data[i] = { id = i, name = "item" .. i, tags = { i, i * 2 } }
	end
	sharetable.loadtable("big", data)
	local before = settle()
	local readers = {}
	for i = 1, 20 do
		readers[i] = skynet.newservice "sharetable_reader"
		local n, sum = skynet.call(readers[i], "lua", "read", "big")
		T.eq(n, 2000 * 6, "a reader sees every value")
		T.eq(sum, 2000 * 2001 // 2 * 4, "a reader's checksum")
	end
	local during = settle()
	T.eq(during.docs, before.docs, "readers add no documents")
	T.eq(during.bytes, before.bytes, "readers add no stored bytes")

	data[1].id = 1000001
	sharetable.loadtable("big", data)
	local _, sum = skynet.call(readers[1], "lua", "reread", "big")
	T.eq(sum, 2000 * 2001 // 2 * 4, "a held table keeps its version")
	T.eq(settle().docs, before.docs + 1, "the old version lives while readers hold it")
	for i = 1, 10 do
		local _, s = skynet.call(readers[i], "lua", "update", "big")
		T.eq(s, 2000 * 2001 // 2 * 4 + 1000000, "update switches a held table")
	end
	T.eq(settle().docs, before.docs + 1, "half the readers still hold the old version")
	for i = 11, 15 do
		skynet.call(readers[i], "lua", "drop", "big")
	end
	for i = 16, 20 do
		skynet.kill(readers[i])
	end
	T.eq(settle().docs, before.docs, "old version freed once dropped or its holders killed")
	for i = 1, 15 do
		skynet.kill(readers[i])
	end
end

local function update_here()
	sharetable.loadtable("u", { a = { b = 1 }, c = 1 })
	local t = sharetable.query "u"
	local a = t.a
	sharetable.loadtable("u", { a = { b = 2 }, c = 2 })
	T.eq(t.c, 1, "before update the old version")
	sharetable.update("u", "nosuch")
	T.eq(t.c, 2, "after update the new version")
	T.eq(a.b, 2, "a nested table held follows")
	T.eq(sharetable.query("u"), t, "query of the same version gives the same table")
end

T.run(function()
	loaders()
	queryall()
	readers_and_versions()
	update_here()
end)
