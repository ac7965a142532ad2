-- skynet.request/select: several calls at once, answers as they come, a
-- timeout for the slow ones, failures reported per request
local skynet = require "skynet"
local T = require "testlib"

local function all_answers(fast, slow)
	local req = skynet.request()
	req:add { fast, "lua", "sleep_echo", 1, "fast" }
	req:add { slow, "lua", "sleep_echo", 20, "slow" }
	req { fast, "lua", "echo", "now", token = "third" } -- calling the object adds too
	local order = {}
	local t0 = skynet.now()
	for r, resp in req:select() do
		T.eq(type(resp), "table", "a successful answer is a table of values")
		order[#order + 1] = resp[1]
		if resp[1] == "now" then
			T.eq(r.token, "third", "the request table is given back")
		end
	end
	T.eq(#order, 3, "three answers")
	T.eq(order[3], "slow", "answers arrive as they come")
	T.ok(skynet.now() - t0 >= 19, "select waited for the slow answer")
end

local function with_timeout(fast, slow)
	local req = skynet.request()
	req:add { fast, "lua", "echo", "quick" }
	req:add { slow, "lua", "sleep_echo", 300, "too slow" }
	local got = {}
	local t0 = skynet.now()
	for _, resp in req:select(30) do
		got[#got + 1] = resp[1]
	end
	T.eq(#got, 1, "only the quick answer before the timeout")
	T.eq(got[1], "quick", "quick answer")
	T.eq(req.timeout, true, "timeout flag set")
	local waited = skynet.now() - t0
	T.ok(waited >= 29 and waited < 100, "select returned at its timeout, after " .. waited)
end

local function failures(fast)
	local req = skynet.request()
	req:add { fast, "lua", "fail", "select failure (expected by the test)" }
	req:add { fast, "lua", "echo", "good" }
	req:add { 0xfffff0, "lua", "echo", "nobody" }
	local good, failed, invalid = 0, 0, 0
	for r, resp in req:select(200) do
		if r[1] == 0xfffff0 then
			invalid = invalid + 1
		elseif resp then
			good = good + 1
		else
			failed = failed + 1
		end
	end
	T.eq(good, 1, "one good answer")
	T.eq(failed, 1, "the failing request reported as failed")
	T.eq(invalid, 1, "the invalid address reported")
end

-- the loop body calls and sleeps while other answers arrive (skynet's
-- test/testselect.lua, "call in select"): none is lost, the loop ends
local function call_in_select(fast, slow)
	local got = {}
	for _, resp in skynet.request
		{ slow, "lua", "sleep_echo", 20, "CALL 20" }
		{ fast, "lua", "sleep_echo", 10, "CALL 10" }
		:select() do
		got[#got + 1] = skynet.call(fast, "lua", "sleep_echo", 0, "ping in " .. resp[1])
		skynet.sleep(30)
	end
	T.eq(#got, 2, "both answers seen while the body called and slept")
	T.eq(got[1], "ping in CALL 10", "first answer")
	T.eq(got[2], "ping in CALL 20", "second answer")
end

-- leaving the loop early drops the answers still to come
local function break_early(fast, slow)
	for _, resp in skynet.request
		{ fast, "lua", "echo", "first" }
		{ slow, "lua", "sleep_echo", 10, "late" }
		:select() do
		T.eq(resp[1], "first", "first answer")
		break
	end
	skynet.sleep(20)
end

T.run(function()
	local fast = skynet.newservice("echo_svc")
	local slow = skynet.newservice("echo_svc")
	all_answers(fast, slow)
	with_timeout(fast, slow)
	failures(fast)
	call_in_select(fast, slow)
	break_early(fast, slow)
	-- the slow service's late answer to the timed-out request is ignored
	skynet.sleep(5)
	T.eq(skynet.call(slow, "lua", "echo", "after"), "after", "node fine after select")
end)
