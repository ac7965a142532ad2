-- The Lua service API: messages in and out, sessions, coroutines, timers.
-- Each message handler runs in a coroutine from a pool; a handler that
-- calls or sleeps yields "SUSPEND" and is resumed by the matching response.
-- This file holds what every service runs (start, dispatch, call, send,
-- ret, timeout); the rest of the API loads on first use from
-- skynet/common.lua (protocols, sleep, fork, response...), then
-- skynet/node.lua (names, env, stats, starting services), then
-- skynet/extra.lua (select, task lists...); the paths a service seldom
-- takes (errors from dead services, unknown sessions, traced requests,
-- exit) from skynet/rare.lua, and the start-up from skynet/startup.lua,
-- which is dropped once it has run.  An idle service stays small.
local c = require "skynet.core"
local skynet_require = require "skynet.require"

local tostring = tostring
local type = type
local error = error
local string_format = string.format
local coroutine_resume = coroutine.resume -- snlua's, which tracks the running thread
local coroutine_yield = coroutine.yield
local coroutine_running = coroutine.running
local coroutine_close = coroutine.close
-- debug.traceback: the debug library opens on its first use (an error)
local function traceback(...)
	return debug.traceback(...)
end

-- An error value as text, even an object whose __tostring raises.
local function error_text(err)
	local ok, text = pcall(tostring, err)
	if ok and type(text) == "string" then
		return text
	end
	return string.format("(a %s error object whose __tostring failed)", type(err))
end
local c_send = c.send
local tracelog = require "skynet.tracelog"

-- the message type names (skynet.PTYPE_TEXT...) are in skynet/common.lua
local skynet = {}
local PTYPE_RESPONSE = 1
local PTYPE_ERROR = 7
local PTYPE_DEBUG = 9
local PTYPE_LUA = 10
local PTYPE_TRACE = 12

local proto = {} -- name and id -> protocol (skynet.register_protocol)
skynet.proto = proto

-- session bookkeeping
local session_id_coroutine = {}     -- session -> waiting thread, timeout function, or "BREAK"
local session_coroutine_id = {}     -- thread -> session of the request it handles
local session_coroutine_address = {} -- thread -> source of that request
local session_coroutine_tracetag = {} -- thread -> its trace tag, or false: never traced
-- on = true once any thread got a tag: until then the wakeup path does not
-- look its threads up in session_coroutine_tracetag
local tracing = { on = false }
local trace_source = {}             -- source -> the tag of its next request
local unresponse = {}               -- response closure -> address
local watching_session = {}         -- session -> address called
local sleep_session = {}            -- token -> session
local wakeup_queue = { h = 1, t = 0 } -- tokens to wake, from h to t
local error_queue = {}             -- sessions whose calls failed, to resume
local fork_queue = { h = 1, t = 0 }  -- pairs: a parked thread, then its body
local running_thread
local self_handle

-- callers whose request a finished handler never answered: they wait
-- until this service exits, which then tells them it is gone
local forgotten_callers = {}

local internal -- what the parts loaded later see of this file (at the end)
local rare_part

-- skynet/rare.lua, loaded the first time one of its paths is taken
local function rare()
	if not rare_part then
		rare_part = require "skynet.rare"(skynet, internal)
	end
	return rare_part
end

local function finish_request(co)
	local session = session_coroutine_id[co]
	if session and session ~= 0 then
		local source = session_coroutine_address[co]
		skynet.error(string_format("Maybe forgot response session %d from %s", session, skynet.address(source)))
		forgotten_callers[source] = true
	end
	session_coroutine_id[co] = nil
	session_coroutine_address[co] = nil
	session_coroutine_tracetag[co] = nil
end

local function run_body(body, ...)
	body(...)
end

local park -- the dispatcher's, below

-- the body of a pooled thread: its first resume brings the body of a
-- message and its arguments, so a message costs one resume, not two.  It
-- runs each body from the same line, so the stacks of threads waiting in
-- the same place look the same (skynet.uniqtask).
local function pooled_thread()
	local self_co = coroutine_running()
	while true do
		run_body(coroutine_yield "SUSPEND") -- parked until the next body
		if session_coroutine_tracetag[self_co] then
			tracelog(session_coroutine_tracetag[self_co], "end")
		end
		finish_request(self_co)
		park(self_co)
	end
end

-- The service's dispatcher (lualib-src/lua-dispatch.c) owns the message
-- callback and the thread it runs on, the hook run after a handler raised,
-- the session allocator and the pool of handler threads.  Sessions wrap
-- around at 2^31 and skip any still pending in session_id_coroutine, so a
-- response can never reach the wrong waiting call; sends with a nil session
-- (c.send(addr, type, nil, ...)) and the TIMEOUT command take theirs from
-- it too: one id space for the service.
local dispatcher = c.dispatcher(session_id_coroutine, pooled_thread)
local new_session = dispatcher.new_session
local co_create = dispatcher.co_create
park = dispatcher.park

local suspend

local function resume(co, ...)
	running_thread = co
	return suspend(co, coroutine_resume(co, ...))
end

-- Resumes the next thread skynet.wakeup queued.  Taking the last token
-- empties the queue (h, t = 1, 0), so the caller of a thread that
-- suspends finds t == 0 and need not call here again.
local function dispatch_wakeup()
	local queue = wakeup_queue
	local h = queue.h
	while h <= queue.t do
		local token = queue[h]
		queue[h] = nil
		if h == queue.t then
			queue.h, queue.t = 1, 0
		else
			queue.h = h + 1
		end
		h = h + 1
		local session = sleep_session[token]
		if session then
			local co = session_id_coroutine[session]
			if tracing.on and session_coroutine_tracetag[co] then
				tracelog(session_coroutine_tracetag[co], "resume")
			end
			session_id_coroutine[session] = "BREAK"
			running_thread = co
			return suspend(co, coroutine_resume(co, false, "BREAK", nil, session))
		end
	end
end

-- what a resumed thread left behind: an error, a wait, or the service quitting
function suspend(co, result, command)
	if not result then
		local session = session_coroutine_id[co]
		if session then
			if session ~= 0 then
				if session_coroutine_tracetag[co] then
					tracelog(session_coroutine_tracetag[co], "error")
				end
				c_send(session_coroutine_address[co], PTYPE_ERROR, session, "")
			end
			session_coroutine_id[co] = nil
		end
		session_coroutine_address[co] = nil
		session_coroutine_tracetag[co] = nil
		-- out of memory (memlimit), even the traceback may fail: the dead
		-- thread's stack is released before the error goes on
		local ok, tb = pcall(traceback, co, error_text(command))
		coroutine_close(co)
		if running_thread == co then
			running_thread = nil
		end
		error(ok and tb or command, 0)
	end
	-- nil: a thread outside the pool finished (a debugger session, the
	-- collector of skynet.request); either way, the wakeups it queued run
	if command == "SUSPEND" or command == nil then
		if wakeup_queue.t ~= 0 then
			return dispatch_wakeup()
		end
	elseif command == "QUIT" then
		coroutine_close(co)
		return
	elseif command == "USER" then
		error("Can't yield in a skynet coroutine: use skynet.coroutine\n" .. traceback(co))
	else
		error("Unknown command : " .. tostring(command) .. "\n" .. traceback(co))
	end
end

-- ---- calls, sends, responses ----

local function yield_call(service, session)
	watching_session[session] = service
	session_id_coroutine[session] = running_thread
	local succ, msg, sz = coroutine_yield "SUSPEND"
	watching_session[session] = nil
	if not succ then
		error(string_format("call failed: service %s exited or raised an error", skynet.address(service)))
	end
	return msg, sz
end

function skynet.call(addr, typename, ...)
	local tag = session_coroutine_tracetag[running_thread]
	if tag then
		tracelog(tag, "call", 2)
		c_send(addr, PTYPE_TRACE, 0, tag)
	end
	local p = proto[typename]
	local session = new_session()
	if c_send(addr, p.id, session, p.pack(...)) == nil then
		error("call to invalid address " .. skynet.address(addr))
	end
	return p.unpack(yield_call(addr, session))
end

function skynet.send(addr, typename, ...)
	local p = proto[typename]
	return c_send(addr, p.id, 0, p.pack(...))
end

function skynet.ret(msg, sz)
	msg = msg or ""
	local co = running_thread
	local session = session_coroutine_id[co]
	if session_coroutine_tracetag[co] then
		tracelog(session_coroutine_tracetag[co], "response")
	end
	if session == nil then
		if sz ~= nil then
			c.trash(msg, sz)
		end
		error "No session to respond to"
	end
	session_coroutine_id[co] = nil
	if session == 0 then
		if sz ~= nil then
			c.trash(msg, sz)
		end
		return false -- a send: nobody waits for the answer
	end
	return c_send(session_coroutine_address[co], PTYPE_RESPONSE, session, msg, sz) ~= nil
end

-- ---- time ----

function skynet.timeout(ti, func)
	local session = new_session()
	c.timeout(ti, session, self_handle)
	-- the function gets a thread only when it fires: 100k pending timeouts
	-- cost a closure each, not a coroutine each
	session_id_coroutine[session] = func
end

skynet.now = c.now
skynet.hpc = c.hpc

-- ---- addresses and names ----

function skynet.self()
	return self_handle
end

-- ---- messages in ----

-- what a message nobody expects meets: set by skynet.dispatch_unknown_request
-- and dispatch_unknown_response, else skynet/rare.lua's
local unknown = {}

local early_requests -- requests that arrived before the start function began

local function raw_dispatch_message(prototype, msg, sz, session, source)
	if prototype == PTYPE_RESPONSE then
		local co = session_id_coroutine[session]
		if co == "BREAK" then
			session_id_coroutine[session] = nil
		elseif co == nil then
			(unknown.response or rare().unknown_response)(session, source, msg, sz)
		else
			session_id_coroutine[session] = nil
			if type(co) == "function" then
				return resume(co_create(), co)
			end
			if session_coroutine_tracetag[co] then
				tracelog(session_coroutine_tracetag[co], "resume")
			end
			return resume(co, true, msg, sz, session)
		end
	elseif prototype == PTYPE_ERROR then
		return rare().dispatch_error(session, source)
	else
		local p = proto[prototype]
		local f = p and p.dispatch
		if p == nil and prototype == PTYPE_TRACE then
			-- the tag of the next request from source
			trace_source[source] = c.tostring(msg, sz)
			return
		end
		if f == nil and early_requests then
			-- the start function has not run yet: keep it for later
			early_requests[#early_requests + 1] = { prototype, c.tostring(msg, sz), sz, session, source }
			return
		end
		if f == nil then
			trace_source[source] = nil
			if session ~= 0 then
				c_send(source, PTYPE_ERROR, session, "")
			end
			return (unknown.request or rare().unknown_request)(session, source, msg, sz, prototype)
		end
		local co = co_create()
		session_coroutine_id[co] = session
		session_coroutine_address[co] = source
		if p.trace ~= nil or trace_source[source] then
			rare().trace_request(co, p.trace, source)
		end
		return resume(co, f, session, source, p.unpack(msg, sz))
	end
end

-- the forks and error answers a dispatch leaves; after a handler raised,
-- the dispatcher calls this again (its pending hook) until it runs through
local function dispatch_pending()
	while true do
		local h = fork_queue.h
		local co = fork_queue[h]
		if co == nil then
			fork_queue.h, fork_queue.t = 1, 0
			break
		end
		local body = fork_queue[h + 1]
		fork_queue[h] = nil
		fork_queue[h + 1] = nil
		fork_queue.h = h + 2
		resume(co, body)
	end
	while error_queue[1] do
		rare().resume_failed_call()
	end
end
c.pending(dispatch_pending)

-- no pcall here: a raised error goes to the dispatcher, which logs it and runs
-- dispatch_pending (one protected call per message, not two).
-- A protocol may serve some messages without a thread: p.direct handles
-- them (it must not yield) and says so by returning true.  Socket data
-- comes this way, one call shorter than the rest.
-- Its locals end before the general call: this frame stays as small as
-- when it made only that call, and the callback's thread, which runs the
-- start function's dispatch at about 40 stack slots, keeps its first
-- stack instead of growing to 85 (0.8 KB more in every idle service).
function skynet.dispatch_message(prototype, msg, sz, session, source)
	do
		local p = proto[prototype]
		local direct = p and session == 0 and p.direct
		if direct and direct(msg, sz) then
			if wakeup_queue.t ~= 0 then
				dispatch_wakeup()
			end
			goto handled
		end
	end
	raw_dispatch_message(prototype, msg, sz, session, source)
	::handled::
	if fork_queue[fork_queue.h] or error_queue[1] then
		dispatch_pending()
	end
end

-- skynet.dispatch(typename, func) sets the handler of a protocol and
-- returns the one it replaces; skynet.dispatch(typename) returns it
function skynet.dispatch(typename, func)
	local p = proto[typename]
	if p == nil then
		error("unknown protocol " .. tostring(typename))
	end
	if func then
		local ret = p.dispatch
		p.dispatch = func
		p.direct = nil -- a new handler sees every message
		return ret
	end
	return p.dispatch
end

-- ---- values ----

skynet.pack = c.pack
skynet.packstring = c.packstring
skynet.unpack = c.unpack
skynet.tostring = c.tostring
skynet.trash = c.trash

skynet.error = c.error
skynet.tracelog = tracelog

function skynet.exit()
	return rare().exit()
end

-- killed from outside: the VM closes and this finalizer (kept in internal,
-- below) answers the callers that would otherwise wait forever
local release_on_close = setmetatable({}, { __gc = function()
	if rare_part or next(session_coroutine_id) or next(unresponse) or next(watching_session)
		or next(forgotten_callers) then
		local ok, part = pcall(rare)
		if ok then
			pcall(part.release_waiters)
		end
	end
end })

skynet.init = skynet_require.init
skynet.require = skynet_require.require

-- Runs start once the service can take messages; requests that came before
-- (someone who knew the address early) wait until it has set up its handlers.
-- The code that does it runs once per service: loaded for it, then left to
-- the collector.
function skynet.init_service(start)
	local early = early_requests or {}
	early_requests = nil
	local startup = require "skynet.startup"
	package.loaded["skynet.startup"] = nil
	return startup(skynet, internal, start, early)
end

function skynet.start(start_func)
	early_requests = {}
	c.callback(skynet.dispatch_message)
	skynet.timeout(0, function()
		skynet.init_service(start_func)
	end)
end

-- ---- protocols every service speaks ----

proto.lua = { name = "lua", id = PTYPE_LUA, pack = skynet.pack, unpack = skynet.unpack }
proto.response = { name = "response", id = PTYPE_RESPONSE }
proto.error = { name = "error", id = PTYPE_ERROR, unpack = function(...) return ... end }
-- the debug protocol is loaded on its first message, to keep idle services small
proto.debug = { name = "debug", id = PTYPE_DEBUG, pack = skynet.pack, unpack = skynet.unpack,
	dispatch = function(...)
		return require("skynet.debug").init(skynet, internal)(...)
	end,
}
proto[PTYPE_LUA], proto[PTYPE_RESPONSE] = proto.lua, proto.response
proto[PTYPE_ERROR], proto[PTYPE_DEBUG] = proto.error, proto.debug

self_handle = c.addresscommand "REG"

-- The rest of the API loads on first use, a part at a time, until the
-- name asked for is there: an idle service keeps only what it runs.
internal = {
	c = c,
	proto = proto,
	session_id_coroutine = session_id_coroutine,
	session_coroutine_id = session_coroutine_id,
	session_coroutine_address = session_coroutine_address,
	session_coroutine_tracetag = session_coroutine_tracetag,
	tracing = tracing,
	unresponse = unresponse,
	watching_session = watching_session,
	sleep_session = sleep_session,
	wakeup_queue = wakeup_queue,
	fork_queue = fork_queue,
	unknown = unknown,
	error_queue = error_queue,
	forgotten_callers = forgotten_callers,
	trace_source = trace_source,
	new_session = new_session,
	co_create = co_create,
	yield_call = yield_call,
	finish_request = finish_request,
	suspend = suspend,
	raw_dispatch_message = raw_dispatch_message,
	error_text = error_text,
	rare = rare,
	release_on_close = release_on_close,
	self = self_handle,
	-- the running thread; running_thread(co) makes co the running one,
	-- running_thread(false) forgets it
	running_thread = function(co)
		if co ~= nil then
			running_thread = co or nil
		end
		return running_thread
	end,
}

local lazy_parts = { "skynet.common", "skynet.node", "skynet.extra" }
local parts_loaded = 0

setmetatable(skynet, { __index = function(t, k)
	while parts_loaded < #lazy_parts do
		parts_loaded = parts_loaded + 1
		if parts_loaded == #lazy_parts then
			setmetatable(t, nil)
		end
		require(lazy_parts[parts_loaded])(t, internal)
		local v = rawget(t, k)
		if v ~= nil then
			return v
		end
	end
end })

return skynet
