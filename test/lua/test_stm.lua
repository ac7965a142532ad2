-- skynet.stm: a writer publishes, readers in other services read the
-- current value (true, values) or learn it did not change (false); tickets
-- are one-use; a reader sees nothing new after the writer is gone.
local skynet = require "skynet"
require "skynet.manager"
local stm = require "skynet.stm"
local T = require "testlib"

local function pack_and_strings()
	local w = stm.new(skynet.pack(1, 2, 3, 4, 5))
	local r = stm.newcopy(stm.copy(w))
	local r2 = stm.newcopy(stm.copy(w))
	local changed, a, b, c, d, e = r(skynet.unpack)
	T.eq(changed, true, "first read")
	T.eq(a + b + c + d + e, 15, "values")
	T.eq(r(skynet.unpack), false, "no change, no read")
	T.eq(select("#", r(skynet.unpack)), 1, "only false when unchanged")
	w(skynet.pack("hello world", 1))
	local changed2, s, n = r(skynet.unpack)
	T.eq(changed2, true, "changed")
	T.eq(s, "hello world", "new value")
	T.eq(n, 1, "new value 2")
	T.eq(select(2, r2(skynet.unpack)), "hello world", "a second reader reads the current value")
	-- a string is copied; f gets msg, sz and the extra argument
	w("raw bytes")
	local _, text, extra = r(function(msg, sz, ud)
		return skynet.tostring(msg, sz), ud
	end, "ud")
	T.eq(text, "raw bytes", "a string value")
	T.eq(extra, "ud", "the extra argument")
	-- a reader's error leaves it usable
	w(skynet.pack(7))
	T.raises("boom", r, function() error "boom" end)
	T.eq(r(skynet.unpack), false, "the value read before the error counts as read")
end

local function bad_input()
	local w = stm.new("x")
	local ticket = stm.copy(w)
	stm.newcopy(ticket)
	T.raises("no copy", stm.newcopy, ticket)
	T.raises("no copy", stm.newcopy, 424242)
	T.raises("number expected", stm.newcopy, "x")
	T.raises("skynet.stm.writer", stm.copy, {})
	T.raises("function expected", stm.newcopy(stm.copy(w)), 1)
	T.raises("string expected", stm.new, {})
end

local function across_services()
	local w = stm.new(skynet.pack(0))
	local readers = {}
	for i = 1, 4 do
		readers[i] = skynet.newservice "stm_reader"
		skynet.call(readers[i], "lua", "attach", stm.copy(w))
		local changed, v = skynet.call(readers[i], "lua", "read")
		T.eq(changed, true, "a reader in another service reads")
		T.eq(v, 0, "the first value")
	end
	local seen = {}
	for i = 1, 4 do
		seen[i] = T.started(skynet.call, readers[i], "lua", "follow", 1)
	end
	skynet.sleep(2)
	w(skynet.pack(42))
	for i = 1, 4 do
		local ok, values = seen[i](300, "reader " .. i)
		T.ok(ok, "follow answered")
		T.eq(values[1], 42, "every reader sees the update")
	end
	-- the writer gone, readers read nothing new
	w = nil
	collectgarbage()
	collectgarbage()
	local changed = skynet.call(readers[1], "lua", "read")
	T.eq(changed, false, "nothing new after the writer is collected")
	for i = 1, 4 do
		skynet.kill(readers[i])
	end
end

T.run(function()
	pack_and_strings()
	bad_input()
	across_services()
end)
