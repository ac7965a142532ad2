-- skynet.datacenter on a lone node (harbor 0): get/set on paths, set's old
-- value, wait before and after the set, many waiters, a wait above a path
-- that gets set fails; values of every type.  (Across nodes: test_harbor.sh.)
local skynet = require "skynet"
local datacenter = require "skynet.datacenter"
local T = require "testlib"

T.run(function()
	T.eq(datacenter.get("nothing"), nil, "unset key")
	T.eq(datacenter.get("nothing", "deeper"), nil, "unset path")
	T.eq(datacenter.set("a", 1), nil, "first set returns nil")
	T.eq(datacenter.set("a", 2), 1, "second set returns the old value")
	T.eq(datacenter.get("a"), 2, "get")
	datacenter.set("t", "x", "y", "deep")
	T.eq(datacenter.get("t", "x", "y"), "deep", "nested set makes the tables")
	local t = datacenter.get("t")
	T.eq(t.x.y, "deep", "a branch comes back as a table")
	T.eq(datacenter.get("t", "x", "y", "z"), nil, "below a leaf")
	local value = { 1, 2.5, "s", true, { k = "v" } }
	datacenter.set("value", value)
	local back = datacenter.get("value")
	T.eq(back[2], 2.5, "float")
	T.eq(back[5].k, "v", "nested table")

	-- wait: at once when set, else when it is
	T.eq(datacenter.wait("a"), 2, "wait on a set key")
	local waits = {}
	for i = 1, 5 do
		waits[i] = T.started(datacenter.wait, "later", "key")
	end
	local branch = T.started(datacenter.wait, "b")
	skynet.sleep(10)
	T.eq(datacenter.set("later", "key", "now"), nil, "set wakes")
	for i = 1, 5 do
		local ok, v = waits[i](300, "waiter " .. i)
		T.ok(ok, tostring(v))
		T.eq(v, "now", "waiter " .. i .. " gets the value")
	end
	datacenter.set("b", "c", 1)
	local ok = branch(300, "a wait above a set path")
	T.ok(not ok, "a wait above the set path fails")
	-- setting nil wakes nobody; a later set does
	local w = T.started(datacenter.wait, "n")
	skynet.sleep(5)
	datacenter.set("n", nil)
	skynet.sleep(5)
	datacenter.set("n", false)
	local wok, v = w(300, "wait for false")
	T.ok(wok and v == false, "false is a value")
end)
