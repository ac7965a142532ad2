-- The first part of skynet's API that not every service runs, loaded by
-- skynet.lua on the first use of one of its names: the PTYPE_* numbers,
-- protocols, packed and deferred responses, sleeping and waking, time,
-- forks: what message handlers use most.  Raw messages, names, env, stats
-- and starting services are in skynet/node.lua, loaded after it.
-- I holds skynet.lua's internals (session tables, and the dispatcher's
-- functions: the message path itself is C, lualib-src/lua-dispatch.c).
return function(skynet, I)
	local c = I.c
	local proto = I.proto
	local session_id_coroutine = I.session_id_coroutine
	local unresponse = I.unresponse
	local sleep_session = I.sleep_session
	local new_session = I.new_session
	local running_thread = I.running_thread
	local session_coroutine_tracetag = I.session_coroutine_tracetag
	local tracing = I.tracing
	local c_send = c.send
	skynet.PTYPE_TEXT = 0
	skynet.PTYPE_RESPONSE = 1
	skynet.PTYPE_MULTICAST = 2
	skynet.PTYPE_CLIENT = 3
	skynet.PTYPE_SYSTEM = 4
	skynet.PTYPE_HARBOR = 5
	skynet.PTYPE_SOCKET = 6
	skynet.PTYPE_ERROR = 7
	skynet.PTYPE_QUEUE = 8
	skynet.PTYPE_DEBUG = 9
	skynet.PTYPE_LUA = 10
	skynet.PTYPE_SNAX = 11
	skynet.PTYPE_TRACE = 12
	local PTYPE_RESPONSE = skynet.PTYPE_RESPONSE
	local PTYPE_ERROR = skynet.PTYPE_ERROR

	-- ---- protocols ----

	function skynet.register_protocol(class)
		local name = class.name
		local id = class.id
		assert(type(name) == "string" and type(id) == "number" and id >= 0 and id <= 255 and id % 1 == 0,
			"a protocol needs a name and an id from 0 to 255")
		assert(proto[name] == nil and proto[id] == nil, "protocol " .. name .. " is already registered")
		proto[name] = class
		proto[id] = class
	end

	-- ---- calls, sends, responses ----

	function skynet.retpack(...)
		return skynet.ret(skynet.pack(...))
	end

	function skynet.response(pack)
		pack = pack or skynet.pack
		local session, address = I.take_session(running_thread())
		if session == nil then
			error "No session to respond to"
		end
		if session == 0 then
			return function() end
		end
		local function response(ok, ...)
			if ok == "TEST" then
				return unresponse[response] ~= nil
			end
			if not pack then
				error "Can't response more than once"
			end
			local ret = false
			if unresponse[response] then
				if ok then
					ret = c_send(address, PTYPE_RESPONSE, session, pack(...)) ~= nil
				else
					ret = c_send(address, PTYPE_ERROR, session, "") ~= nil
				end
				unresponse[response] = nil
			end
			pack = nil
			return ret
		end
		unresponse[response] = address
		return response
	end

	-- ---- sleeping and waking ----

	local coroutine_yield = coroutine.yield

	local function suspend_sleep(session, token, co)
		if tracing.on then
			local tag = session_coroutine_tracetag[co]
			if tag then
				skynet.tracelog(tag, "sleep", 2)
			end
		end
		session_id_coroutine[session] = co
		if sleep_session[token] then
			error "token duplicative"
		end
		sleep_session[token] = session
		return coroutine_yield "SUSPEND"
	end

	function skynet.sleep(ti, token)
		local session = new_session()
		c.timeout(ti, session, I.self)
		local co = running_thread()
		token = token or co
		local succ, ret = suspend_sleep(session, token, co)
		sleep_session[token] = nil
		if succ then
			return
		end
		if ret == "BREAK" then
			return "BREAK"
		end
		error(ret)
	end

	function skynet.yield()
		return skynet.sleep(0)
	end

	-- A thread waits under a session of its own, negative (new_session
	-- hands out positive ones), kept for its next wait: a socket reader that
	-- waits for every message does not add a new key to
	-- session_id_coroutine each time.
	local wait_sessions = setmetatable({}, { __mode = "k" }) -- thread -> session
	local last_wait_session = 0

	function skynet.wait(token)
		local co = running_thread()
		token = token or co
		local session = wait_sessions[co]
		if session == nil then
			last_wait_session = last_wait_session - 1
			session = last_wait_session
			wait_sessions[co] = session
		end
		suspend_sleep(session, token, co)
		sleep_session[token] = nil
		session_id_coroutine[session] = nil
	end

	-- the woken thread runs once the current one suspends
	skynet.wakeup = I.wakeup

	local starttime

	function skynet.starttime()
		if not starttime then
			starttime = c.intcommand("STARTTIME")
		end
		return starttime
	end

	function skynet.time()
		return skynet.now() / 100 + (starttime or skynet.starttime())
	end

	-- ---- threads ----

	-- the fork runs when the current message is done
	function skynet.fork(func, ...)
		local n = select("#", ...)
		local body = func
		if n > 0 then
			local args = { ... }
			body = function() func(table.unpack(args, 1, n)) end
		end
		local co = I.co_create()
		I.fork(co, body)
		return co
	end
end
