-- The rarely used part of skynet's API, loaded by skynet.lua on first use:
-- skynet.request/select, task lists, killthread, term, trace log, info_func.
-- I holds skynet.lua's internals (session tables and helpers).
return function(skynet, I)
	local c = I.c
	local proto = I.proto
	local session_id_coroutine = I.session_id_coroutine
	local watching_session = I.watching_session
	local sleep_session = I.sleep_session
	local new_session = I.new_session
	local finish_request = I.finish_request
	local session_coroutine_tracetag = I.session_coroutine_tracetag
	local running_thread = I.running_thread

	function skynet.killthread(co)
		local killed
		for session, thread in pairs(session_id_coroutine) do
			if thread == co then
				session_id_coroutine[session] = "BREAK"
				killed = true
			end
		end
		for token, session in pairs(sleep_session) do
			if session_id_coroutine[session] == "BREAK" and (token == co) then
				sleep_session[token] = nil
			end
		end
		if killed then
			finish_request(co)
			coroutine.close(co)
			return co
		end
	end


	-- ---- trace log ----

	-- function of a pending timeout -> where skynet.timeout was called,
	-- while skynet.trace_timeout is on
	local timeout_traceback

	local function task_traceback(co)
		if timeout_traceback and timeout_traceback[co] then
			return timeout_traceback[co]
		end
		return debug.traceback(co)
	end

	-- what skynet.task lists: waiting threads and traced timeouts
	local function is_task(co)
		return type(co) == "thread" or (timeout_traceback ~= nil and timeout_traceback[co] ~= nil)
	end

	local untraced_timeout = skynet.timeout

	local function traced_timeout(ti, func)
		local traceback = debug.traceback(string.format("TIMER %d+%d : ", skynet.now(), ti), 2)
		local function fire()
			timeout_traceback[fire] = nil
			return func()
		end
		timeout_traceback[fire] = traceback
		return untraced_timeout(ti, fire)
	end

	-- on: skynet.task lists pending timeouts with where they were set
	function skynet.trace_timeout(on)
		if on then
			timeout_traceback = timeout_traceback or setmetatable({}, { __mode = "k" })
			skynet.timeout = traced_timeout
		else
			timeout_traceback = nil
			skynet.timeout = untraced_timeout
		end
	end

	local traceid = 0

	-- starts a new trace tag for the running request (unless its protocol
	-- is never traced); the calls it makes carry the tag to their services
	function skynet.trace(info)
		local co = running_thread()
		skynet.error("TRACE", session_coroutine_tracetag[co])
		if session_coroutine_tracetag[co] == false then
			return
		end
		traceid = traceid + 1
		local tag = string.format(":%08x-%d", I.self, traceid)
		session_coroutine_tracetag[co] = tag
		I.trace_on()
		skynet.tracelog(tag, info and ("trace " .. info) or "trace")
	end

	function skynet.tracetag()
		return session_coroutine_tracetag[running_thread()]
	end

	-- flag true: every request of the protocol starts a trace; false: none
	-- is traced, even one tagged by its caller; nil: skynet.trace decides
	function skynet.traceproto(prototype, flag)
		local p = assert(proto[prototype], "unknown protocol")
		p.trace = flag
		I.trace_on()
	end

	-- a raw call traced under tag (a tag from another node: clusteragent)
	function skynet.tracecall(tag, addr, typename, msg, sz)
		skynet.tracelog(tag, "tracecall begin")
		c.send(addr, skynet.PTYPE_TRACE, 0, tag)
		local p = proto[typename]
		local session = new_session()
		if c.send(addr, p.id, session, msg, sz) == nil then
			error("call to invalid address " .. skynet.address(addr))
		end
		msg, sz = I.yield_call(addr, session)
		skynet.tracelog(tag, "tracecall end")
		return msg, sz
	end

	-- skynet.task(): the number of waiting threads; task(t): fills t with
	-- session -> traceback; task(session): the traceback of one
	function skynet.task(ret)
		if ret == nil then
			local n = 0
			for _, co in pairs(session_id_coroutine) do
				if is_task(co) then
					n = n + 1
				end
			end
			return n
		end
		if type(ret) == "number" then
			local co = session_id_coroutine[ret]
			if is_task(co) then
				return task_traceback(co)
			end
			return "No session"
		end
		for session, co in pairs(session_id_coroutine) do
			if is_task(co) then
				ret[session] = task_traceback(co)
			end
		end
	end

	-- threads grouped by identical traceback: { [traceback] = { n = count, sessions... } }
	function skynet.uniqtask()
		local stacks = {}
		for session, co in pairs(session_id_coroutine) do
			if type(co) == "thread" then
				local key = task_traceback(co)
				local info = stacks[key]
				if info == nil then
					info = { n = 0 }
					stacks[key] = info
				end
				info.n = info.n + 1
				info[#info + 1] = session
			end
		end
		return stacks
	end

	-- mark every call waiting on service as failed (it is known to be dead)
	function skynet.term(service)
		-- the failed calls resume when the current message is done
		I.rare().queue_errors(0, service)
	end


	local info_func

	-- skynet.info_func(f): f() answers the debug console's `info` command;
	-- skynet.info_func() returns it
	function skynet.info_func(f)
		if f == nil then
			return info_func
		end
		info_func = f
	end

	-- runs the pending skynet.init functions, then f(...); false and a
	-- traceback when either raises (service_cell runs a main function so)
	function skynet.pcall(f, ...)
		local init_all = require("skynet.require").init_all
		return xpcall(function(...)
			init_all()
			return f(...)
		end, debug.traceback, ...)
	end

	function skynet.endless()
		return c.intcommand("STAT", "endless") == 1
	end


	-- ---- several calls at once ----

	local request_meta = {}
	request_meta.__index = request_meta

	function request_meta:add(obj)
		assert(type(obj) == "table" and not self._thread, "add a request table before select")
		self[#self + 1] = obj
		return self
	end
	request_meta.__call = request_meta.add

	-- stops listening: answers that arrive later are dropped
	function request_meta:close()
		if self._request then
			self._request = nil
			for session in pairs(self._sessions) do
				if session_id_coroutine[session] == self._thread then
					session_id_coroutine[session] = "BREAK"
				end
				watching_session[session] = nil
			end
			local ts = self._timeout_session
			if ts and session_id_coroutine[ts] == self._thread then
				session_id_coroutine[ts] = "BREAK"
			end
		end
	end
	request_meta.__close = request_meta.close

	-- sends every request; returns the sessions (session -> req), how many
	-- are pending, and the answers ready at once (failed sends)
	local function send_requests(self)
		local sessions, pending, ready = {}, 0, {}
		local tag = session_coroutine_tracetag[running_thread()]
		for _, req in ipairs(self) do
			local addr, typename = req[1], req[2]
			if tag then
				skynet.tracelog(tag, "call", 3)
				c.send(addr, skynet.PTYPE_TRACE, 0, tag)
			end
			local p = proto[typename]
			local session = new_session()
			if c.send(addr, p.id, session, p.pack(table.unpack(req, 3, req.n or #req))) == nil then
				req.error = "call to invalid address " .. skynet.address(addr)
				ready[#ready + 1] = { req }
			else
				sessions[session] = req
				watching_session[session] = addr
				pending = pending + 1
			end
		end
		return sessions, pending, ready
	end

	local function unpack_answer(req, msg, sz)
		local p = proto[req[2]]
		local ok, resp = pcall(function() return table.pack(p.unpack(msg, sz)) end)
		if ok then
			return { req, resp }
		end
		req.error = "bad answer from " .. skynet.address(req[1]) .. ": " .. tostring(resp)
		return { req }
	end

	-- iterates (req, resp) as answers arrive; resp is a table of the results,
	-- or nil with req.error set when the call failed; stops after timeout
	-- centiseconds (the requests left get req.timeout = true).
	-- The answers come to a collector thread of their own, not to the
	-- iterating thread: the loop body may skynet.call or sleep meanwhile.
	function request_meta:select(timeout)
		assert(self._thread == nil, "select only once")
		local sessions, pending, ready = send_requests(self)
		local waiting -- the iterating thread while it waits for an answer
		local timeout_session
		local function expire()
			self.timeout = true
			for s, req in pairs(sessions) do
				req.timeout = true
				session_id_coroutine[s] = "BREAK"
				watching_session[s] = nil
			end
			pending = 0
		end
		local collector = coroutine.create(function()
			while pending > 0 do
				local succ, msg, sz, session = coroutine.yield "SUSPEND"
				if session == timeout_session then
					timeout_session = nil
					expire()
				elseif sessions[session] then
					local req = sessions[session]
					sessions[session] = nil
					watching_session[session] = nil
					pending = pending - 1
					if succ then
						ready[#ready + 1] = unpack_answer(req, msg, sz)
					else
						req.error = "call failed: service " .. skynet.address(req[1]) .. " exited or raised an error"
						ready[#ready + 1] = { req }
					end
				end
				if waiting then
					skynet.wakeup(waiting)
				end
			end
			if timeout_session then
				session_id_coroutine[timeout_session] = "BREAK"
			end
		end)
		coroutine.resume(collector) -- to its first wait
		self._sessions, self._thread, self._request = sessions, collector, true
		for session in pairs(sessions) do
			session_id_coroutine[session] = collector
		end
		if timeout and pending > 0 then
			timeout_session = new_session()
			self._timeout_session = timeout_session
			c.timeout(timeout, timeout_session, I.self)
			session_id_coroutine[timeout_session] = collector
		end
		return function()
			while true do
				local answer = table.remove(ready, 1)
				if answer then
					return answer[1], answer[2]
				end
				if pending == 0 then
					self._request = nil
					return nil
				end
				waiting = coroutine.running()
				skynet.wait(waiting)
				waiting = nil
			end
		end, nil, nil, self
	end

	function skynet.request(obj)
		local ret = setmetatable({}, request_meta)
		if obj then
			return ret(obj)
		end
		return ret
	end
end
