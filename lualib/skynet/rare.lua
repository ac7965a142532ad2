-- The paths of the message loop (lualib-src/lua-dispatch.c) that a service
-- seldom takes: calls that fail because their service died or raised,
-- responses and requests nobody expects, requests that carry a trace tag,
-- and exit.  The dispatcher loads this (internal.rare) the first time one
-- of them is taken, so an idle service does not hold their code.  I holds
-- skynet.lua's internals.
return function(skynet, I)
	local c = I.c
	local c_send = c.send
	local session_id_coroutine = I.session_id_coroutine
	local session_coroutine_tracetag = I.session_coroutine_tracetag
	local watching_session = I.watching_session
	local error_queue = I.error_queue
	local forgotten_callers = I.forgotten_callers
	local trace_source = I.trace_source
	local running_thread = I.running_thread
	local suspend = I.suspend
	local tracelog = skynet.tracelog
	local coroutine_resume = coroutine.resume -- snlua's, which tracks the running thread
	local coroutine_close = coroutine.close
	local string_format = string.format
	local PTYPE_RESPONSE = 1
	local PTYPE_ERROR = 7

	local R = {}

	-- an error message: session 0 means the source died, else that call
	-- failed; the calls it ends are queued, to resume one at a time
	function R.queue_errors(session, source)
		if session == 0 then
			for s, addr in pairs(watching_session) do
				if addr == source then
					error_queue[#error_queue + 1] = s
				end
			end
		elseif watching_session[session] then
			error_queue[#error_queue + 1] = session
		end
		if error_queue[1] then
			I.calls_failed() -- the dispatcher resumes them after this message
		end
	end

	-- resumes the first queued call with its failure
	function R.resume_failed_call()
		local session = table.remove(error_queue, 1)
		if session then
			local co = session_id_coroutine[session]
			session_id_coroutine[session] = nil
			running_thread(co)
			return suspend(co, coroutine_resume(co, false, nil, nil, session))
		end
	end

	function R.dispatch_error(session, source)
		R.queue_errors(session, source)
		return R.resume_failed_call()
	end

	function R.unknown_request(session, address, msg, sz, prototype)
		skynet.error(string_format("Unknown request (%s): %s", prototype, c.tostring(msg, sz)))
		error(string_format("Unknown session : %d from %x", session, address))
	end

	function R.unknown_response(session, address, msg, sz)
		skynet.error(string_format("Response message : %s", c.tostring(msg, sz)))
		error(string_format("Unknown session : %d from %x", session, address))
	end

	-- a request's trace: p.trace false never traces, a tag sent by the
	-- caller goes on, p.trace true starts a new tag (skynet.traceproto)
	function R.trace_request(co, traceflag, source)
		local tag = trace_source[source]
		trace_source[source] = nil
		if traceflag == false then
			session_coroutine_tracetag[co] = false
		elseif tag then
			tracelog(tag, "request")
			session_coroutine_tracetag[co] = tag
			I.trace_on()
		elseif traceflag then
			running_thread(co)
			skynet.trace()
		end
	end

	-- answer everyone still waiting on this service, and everyone it waits on
	function R.release_waiters()
		-- the threads that may owe an answer: the running one and those waiting
		local owing = { running_thread() }
		for _, co in pairs(session_id_coroutine) do
			if type(co) == "thread" then
				owing[#owing + 1] = co
			end
		end
		for _, co in ipairs(owing) do
			local session, address = I.take_session(co)
			if session and session ~= 0 and address then
				c_send(address, PTYPE_ERROR, session, "")
			end
		end
		for resp in pairs(I.unresponse) do
			resp(false)
		end
		-- an error with session 0 says "this service is down": the callers
		-- it forgot fail their calls to it, the services it called forget it
		local peers = {}
		for address in pairs(forgotten_callers) do
			peers[address] = true
			forgotten_callers[address] = nil
		end
		for _, address in pairs(watching_session) do
			peers[address] = true
		end
		for address in pairs(peers) do
			c_send(address, PTYPE_ERROR, 0, "")
		end
		for session in pairs(watching_session) do
			watching_session[session] = nil
		end
	end

	function R.exit()
		I.clear_forks()
		skynet.send(".launcher", "lua", "REMOVE", I.self, false)
		R.release_waiters()
		local current = running_thread()
		for session, co in pairs(session_id_coroutine) do
			if type(co) == "thread" and co ~= current then
				coroutine_close(co)
			end
			session_id_coroutine[session] = nil
		end
		-- whatever arrives from now on gets an error answer
		c.callback(function(prototype, msg, sz, session, source)
			if session ~= 0 and source ~= 0 and prototype ~= PTYPE_RESPONSE and prototype ~= PTYPE_ERROR then
				c_send(source, PTYPE_ERROR, session, "")
			end
		end)
		c.command("EXIT")
		coroutine.yield "QUIT"
	end

	return R
end
