-- faults: calls that cannot be answered raise in the caller and never hang;
-- errors in handlers and failing services leave the node running
local skynet = require "skynet"
require "skynet.manager"
local T = require "testlib"

local function missing_destinations()
	T.raises(nil, skynet.call, 0xfffff0, "lua", "echo")
	T.raises(nil, skynet.call, ".no_such_service", "lua", "echo")
	-- a handle that existed once
	local svc = skynet.newservice("echo_svc")
	skynet.kill(svc)
	T.raises(nil, skynet.call, svc, "lua", "echo")
	-- sending to nowhere drops the message without raising
	T.ok(pcall(skynet.send, 0xfffff0, "lua", "x"), "send to a missing handle does not raise")
	T.ok(pcall(skynet.send, ".no_such_service", "lua", "x"), "send to a missing name does not raise")
end

local function handler_errors()
	local svc = skynet.newservice("echo_svc")
	local err = T.raises(nil, skynet.call, svc, "lua", "fail", "boom (expected by the test)")
	T.eq(type(err), "string", "the caller gets an error message")
	T.raises(nil, skynet.call, svc, "lua", "fail_later", 2, "late boom (expected by the test)")
	T.raises(nil, skynet.call, svc, "lua", "no_such_command")
	-- forks queued by a handler that raised, and those after a fork that
	-- raised, still run
	T.raises(nil, skynet.call, svc, "lua", "fork_then_fail", "fork boom (expected by the test)")
	T.eq(skynet.call(svc, "lua", "forked"), "first,third", "forks run after handler and fork errors")
	T.eq(skynet.call(svc, "lua", "echo", "still here"), "still here", "service survives handler errors")
	-- a handler that yields outside skynet's protocol is reported, not fatal
	skynet.send(svc, "lua", "raw_yield", "USER")
	skynet.send(svc, "lua", "raw_yield", "bogus (expected by the test)")
	skynet.send(svc, "lua", "raw_yield", 42)
	T.eq(skynet.call(svc, "lua", "echo", "after yields"), "after yields", "service survives raw yields")
	-- a request of a protocol the service does not know gets an error back
	skynet.register_protocol { name = "text", id = skynet.PTYPE_TEXT,
		pack = function(s) return s end, unpack = skynet.tostring }
	T.raises(nil, skynet.call, svc, "text", "hello")
end

local function exit_before_answer()
	local svc = skynet.newservice("echo_svc")
	local pending = {}
	for i = 1, 10 do
		pending[i] = T.started(skynet.call, svc, "lua", "sleep_echo", 500, i)
	end
	local exiting = T.started(skynet.call, svc, "lua", "exit_later", 5)
	T.eq(exiting(300, "call to a service that exits"), false, "the exiting call fails")
	for i = 1, 10 do
		T.eq(pending[i](100, "pending call " .. i), false, "pending call fails on exit")
	end
	T.raises(nil, skynet.call, svc, "lua", "echo")
end

-- a handler that raises spoils nothing for the messages behind it in the
-- same worker batch: each is dispatched, answered or failed on its own,
-- and the forks a raising handler queued run before the next one
local function errors_within_a_batch()
	local svc = skynet.newservice("echo_svc")
	for i = 1, 5 do
		local req = skynet.request()
		for n = 1, 30 do
			if n % 3 == 0 then
				req:add { svc, "lua", "fail", "batch boom " .. n .. " (expected by the test)" }
			elseif n % 3 == 1 then
				req:add { svc, "lua", "fork_then_fail", "batch fork boom (expected by the test)" }
			else
				req:add { svc, "lua", "echo", n }
			end
		end
		local echoed, failed = 0, 0
		for req_, resp in req:select() do -- sends the 30 requests at once
			if resp then
				T.eq(resp[1], req_[4], "an echo behind raising handlers got its own answer")
				echoed = echoed + 1
			else
				failed = failed + 1
			end
		end
		T.eq(echoed, 10, "echoes answered in a batch with raising handlers (try " .. i .. ")")
		T.eq(failed, 20, "raising handlers failed their calls (try " .. i .. ")")
		local forked = skynet.call(svc, "lua", "forked")
		T.eq(forked, string.rep("first,third", 10 * i, ","), "every fork of a raising handler ran (try " .. i .. ")")
	end
end

-- skynet.exit takes effect at once: a request queued right behind the
-- message that exits gets an error, even when the same worker batch
-- delivers both
local function exit_then_request()
	for i = 1, 10 do
		local svc = skynet.newservice("echo_svc")
		local req = skynet.request()
		for n = 1, 20 do
			req:add { svc, "lua", "echo", n }
		end
		skynet.send(svc, "lua", "exit_now")
		local answered = 0
		for _, resp in req:select() do -- sends the 20 requests behind the exit
			if resp then
				answered = answered + 1
			end
		end
		T.eq(answered, 0, "requests queued behind skynet.exit answered (try " .. i .. ")")
	end
end

local function killed_before_answer()
	local svc = skynet.newservice("echo_svc")
	local hanging = T.started(skynet.call, svc, "lua", "hang")
	skynet.sleep(2)
	local queued = {}
	for i = 1, 5 do
		queued[i] = T.started(skynet.call, svc, "lua", "sleep_echo", 500, i)
	end
	skynet.kill(svc)
	T.eq(hanging(300, "call to a killed service"), false, "call in progress fails on kill")
	for i = 1, 5 do
		T.eq(queued[i](300, "queued call " .. i), false, "queued call fails on kill")
	end
end

-- a handler that returns without answering leaves its caller waiting only
-- until the service goes away
local function forgotten_response()
	for _, stop in ipairs { "kill", "exit" } do
		local svc = skynet.newservice("echo_svc")
		local forgotten = T.started(skynet.call, svc, "lua", "forget")
		skynet.sleep(5)
		if stop == "kill" then
			skynet.kill(svc)
		else
			skynet.send(svc, "lua", "exit_now")
		end
		T.eq(forgotten(300, "forgotten call, then " .. stop), false, "a forgotten call fails on " .. stop)
	end
end

local function failing_services()
	local err = T.raises(nil, skynet.newservice, "no_such_service_file")
	T.ok(tostring(err):find("no_such_service_file", 1, true), "error names the missing service: " .. tostring(err))
	err = T.raises(nil, skynet.newservice, "start_error_svc")
	T.ok(tostring(err):find("start_error_svc", 1, true), "error names the failing service: " .. tostring(err))
	err = T.raises(nil, skynet.newservice, "load_error_svc")
	T.ok(tostring(err):find("load_error_svc", 1, true), "error names the failing service: " .. tostring(err))
	for _, where in ipairs { "start", "main" } do
		local launched = T.started(skynet.newservice, "start_error_obj_svc", where)
		local ok, err = launched(300, "newservice raising a bad error object in " .. where)
		T.eq(ok, false, "a bad error object fails newservice")
		T.ok(tostring(err):find("error object whose __tostring failed", 1, true), "the error says what failed: " .. tostring(err))
	end
	T.raises(nil, skynet.uniqueservice, "no_such_service_file")
	-- the launcher still works afterwards
	local svc = skynet.newservice("echo_svc")
	T.eq(skynet.call(svc, "lua", "echo", 1), 1, "newservice works after failures")
end

local function unknown_dispatch()
	-- requests of a registered protocol without a dispatch function
	skynet.register_protocol { name = "client", id = skynet.PTYPE_CLIENT,
		pack = skynet.pack, unpack = skynet.unpack }
	T.raises(nil, skynet.call, skynet.self(), "client", "hi")
end

T.run(function()
	missing_destinations()
	handler_errors()
	errors_within_a_batch()
	exit_before_answer()
	exit_then_request()
	killed_before_answer()
	forgotten_response()
	failing_services()
	unknown_dispatch()
end)
