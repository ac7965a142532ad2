-- skynet.memlimit: allocations over the limit fail with a Lua error in that
-- service only; the service and the node keep running
local skynet = require "skynet"
local T = require "testlib"

T.run(function()
	local svc = skynet.newservice("memlimit_svc")
	local other = skynet.newservice("echo_svc")
	local ok, n = skynet.call(svc, "lua", "try_alloc", 100)
	T.eq(ok, true, "100 KB fits in 4 MB")
	T.eq(n, 100, "allocation result")
	local err
	ok, err = skynet.call(svc, "lua", "try_alloc", 20000)
	T.eq(ok, false, "20 MB does not fit in 4 MB")
	T.ok(tostring(err):find("not enough memory", 1, true), "the error is Lua's memory error: " .. tostring(err))
	ok = skynet.call(svc, "lua", "try_alloc", 100)
	T.eq(ok, true, "memory is usable again after the failure is collected")
	-- an unprotected allocation failure in a handler fails the call
	T.raises(nil, skynet.call, svc, "lua", "alloc", 20000)
	T.eq(select(2, skynet.call(svc, "lua", "try_alloc", 10)), 10, "service survives")
	-- again and again, running out at different points: the thread that
	-- ran out lets go of its memory before the error is reported, so the
	-- caller is always told and the memory is usable again
	for i = 1, 20 do
		T.raises(nil, skynet.call, svc, "lua", "alloc", 4000 + i * 7)
		T.eq(select(2, skynet.call(svc, "lua", "try_alloc", i)), i, "service survives failure " .. i)
	end
	T.eq(skynet.call(other, "lua", "echo", "fine"), "fine", "other services unaffected")
	-- the test service itself has no limit
	local big = string.rep("y", 20 * 1024 * 1024)
	T.eq(#big, 20 * 1024 * 1024, "services without memlimit can allocate 20 MB")
end)
