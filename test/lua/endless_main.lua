-- Started by test/sh/test_node_endless.sh: a handler runs `while true do end`;
-- the node keeps serving meanwhile, and the loop is interrupted so the call
-- fails and the service answers again.  A main chunk that loops is
-- interrupted too.
local skynet = require "skynet"
local T = require "testlib"

T.run(function()
	local looper = skynet.newservice("echo_svc")
	local other = skynet.newservice("echo_svc")
	local outcome
	skynet.fork(function()
		outcome = table.pack(pcall(skynet.call, looper, "lua", "loop"))
	end)
	local t0 = skynet.now()
	local served = 0
	while not outcome and skynet.now() - t0 < 2000 do
		-- each call must be answered promptly while the loop spins
		local c0 = skynet.now()
		T.eq(skynet.call(other, "lua", "echo", served), served, "other service answers")
		T.ok(skynet.now() - c0 < 50, "other service answered within 0.5 s")
		served = served + 1
		skynet.sleep(10)
	end
	T.ok(outcome, "the endless loop was interrupted within 20 s")
	T.eq(outcome[1], false, "the looping call failed")
	skynet.error(string.format("endless loop interrupted after %.1f s", (skynet.now() - t0) / 100))
	T.ok(served > 5, "the node served other calls meanwhile")
	T.eq(skynet.call(looper, "lua", "echo", "back"), "back", "the interrupted service answers again")
	-- a main chunk that never returns is interrupted as well: the launch fails
	local ok, err = pcall(skynet.newservice, "loop_chunk_svc")
	T.eq(ok, false, "a service whose main chunk loops does not launch")
	T.ok(tostring(err):find("interrupted", 1, true), "its launch error says it was interrupted: " .. tostring(err))
end)
