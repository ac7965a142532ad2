-- Managing a service's own threads: killthread, term, task(n), uniqtask,
-- context, endless, trace
local skynet = require "skynet"
local T = require "testlib"

local function killthread(svc)
	local resumed = false
	local sleeper = skynet.fork(function()
		skynet.sleep(20)
		resumed = true
	end)
	local called = false
	local caller = skynet.fork(function()
		skynet.call(svc, "lua", "sleep_echo", 10, "late")
		called = true
	end)
	skynet.yield()
	T.eq(skynet.killthread(sleeper), sleeper, "killthread returns the killed thread")
	T.eq(skynet.killthread(caller), caller, "a thread waiting for a call can be killed")
	skynet.sleep(30)
	T.eq(resumed, false, "a killed sleep never resumes")
	T.eq(called, false, "a killed call never resumes, its late answer is dropped")
	T.eq(skynet.call(svc, "lua", "echo", "ok"), "ok", "calls work after the kill")
end

local function term(svc)
	local outcome
	skynet.fork(function()
		outcome = table.pack(pcall(skynet.call, svc, "lua", "hang"))
	end)
	skynet.sleep(2)
	skynet.term(svc)
	skynet.sleep(1)
	T.ok(outcome, "term ends calls waiting on the service")
	T.eq(outcome[1], false, "with an error")
end

local function task_lists()
	local base = skynet.task()
	for _ = 1, 5 do
		skynet.fork(skynet.sleep, 30)
	end
	skynet.yield()
	T.eq(skynet.task(), base + 5, "five more waiting threads")
	local all = {}
	skynet.task(all)
	local session = next(all)
	T.eq(type(skynet.task(session)), "string", "task(session) is a traceback")
	local grouped = false
	for k, v in pairs(skynet.uniqtask()) do
		if (type(v) == "table" and v.n == 5) or (type(k) == "string" and k:match("^5%s")) then
			grouped = true
		end
	end
	T.ok(grouped, "uniqtask groups the five identical stacks")
end

local function context_and_flags(svc)
	skynet.dispatch("lua", function(session, source)
		local s, a = skynet.context()
		skynet.retpack(s == session and a == source)
	end)
	T.eq(skynet.call(skynet.self(), "lua"), true, "context gives the session and source being served")
	T.eq(skynet.endless(), false, "not in an endless loop")
	skynet.trace("from test_threads")
	T.eq(skynet.call(svc, "lua", "echo", 1), 1, "fine after trace")
end

T.run(function()
	local svc = skynet.newservice("echo_svc")
	killthread(svc)
	term(skynet.newservice("echo_svc"))
	task_lists()
	context_and_flags(svc)
end)
