-- The Lua service API: messages in and out, sessions, coroutines, timers.
-- Each message handler runs in a coroutine from a pool; a handler that
-- calls or sleeps yields "SUSPEND" and is resumed by the matching response.
-- This file holds what every service runs (start, dispatch, call, send,
-- ret, timeout, exit); the rest of the API loads on first use from
-- skynet/common.lua (sleep, fork, response, names, env...) and then
-- skynet/extra.lua (select, task lists...), so an idle service stays small.
local c = require "skynet.core"
local skynet_require = require "skynet.require"

local tostring = tostring
local type = type
local pairs = pairs
local error = error
local coroutine_resume = coroutine.resume -- snlua's, which tracks the running thread
local coroutine_yield = coroutine.yield
local coroutine_running = coroutine.running
local coroutine_close = coroutine.close
local traceback = debug.traceback

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

-- The message path (sessions, the coroutine pool, resume and suspend,
-- wake-ups, failed calls, forks, calls and responses) is C, with the
-- tables it keeps: lualib-src/lua-dispatch.c.
local dispatcher = c.dispatcher(skynet, c, coroutine_resume, tracelog)
local proto, session_id_coroutine, session_coroutine_id, session_coroutine_address,
	watching_session, unresponse, fork_queue, forgotten_callers = dispatcher.tables()
local self_handle
skynet.proto = proto

function skynet.register_protocol(class)
	local name = class.name
	local id = class.id
	assert(type(name) == "string" and type(id) == "number" and id >= 0 and id <= 255 and id % 1 == 0,
		"a protocol needs a name and an id from 0 to 255")
	assert(proto[name] == nil and proto[id] == nil, "protocol " .. name .. " is already registered")
	proto[name] = class
	proto[id] = class
end

local new_session = dispatcher.new_session
local running = dispatcher.running

-- sends with a nil session (c.send(addr, type, nil, ...)) and the TIMEOUT
-- command take theirs from here too: one id space for the service
c.sessionallocator(new_session)
-- after a handler raised, the core runs what its dispatch left undone
c.pending(dispatcher.pending)

-- calls, sends, responses and timeouts are the dispatcher's too
local yield_call = dispatcher.yield_call
skynet.call = dispatcher.call
skynet.send = dispatcher.send
skynet.ret = dispatcher.ret
skynet.timeout = dispatcher.timeout

skynet.now = c.now
skynet.hpc = c.hpc

function skynet.self()
	return self_handle
end

-- ---- messages in ----

skynet.dispatch_message = dispatcher.dispatch

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

-- answer everyone still waiting on this service, and everyone it waits on
local function release_waiters()
	for co, session in pairs(session_coroutine_id) do
		local address = session_coroutine_address[co]
		if session ~= 0 and address then
			c_send(address, PTYPE_ERROR, session, "")
		end
		session_coroutine_id[co] = nil
	end
	for resp in pairs(unresponse) do
		resp(false)
	end
	-- an error with session 0 says "this service is down": the callers it
	-- forgot fail their calls to it, the services it called forget it
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

function skynet.exit()
	for i = fork_queue.h, fork_queue.t do
		fork_queue[i] = nil
	end
	fork_queue.h, fork_queue.t = 1, 0
	skynet.send(".launcher", "lua", "REMOVE", self_handle, false)
	release_waiters()
	local running_thread = running()
	for session, co in pairs(session_id_coroutine) do
		if type(co) == "thread" and co ~= running_thread then
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
	coroutine_yield "QUIT"
end

-- killed from outside: the VM closes and this finalizer answers the callers
-- that would otherwise wait forever
debug.getregistry().skynet_release_waiters = setmetatable({}, { __gc = function()
	pcall(release_waiters)
end })

skynet.init = skynet_require.init
skynet.require = skynet_require.require

-- requests that came before the start function began (someone who knew
-- the address early) wait until it has set up its handlers
function skynet.init_service(start)
	local early = dispatcher.early(false) or {}
	local ok, err = xpcall(function()
		skynet_require.init_all()
		start()
		skynet_require.init_all()
	end, traceback)
	if not ok then
		err = error_text(err)
		skynet.error("init service failed: " .. err)
		skynet.send(".launcher", "lua", "ERROR", err)
		skynet.exit()
	else
		skynet.send(".launcher", "lua", "LAUNCHOK")
	end
	local self_co = coroutine_running()
	for _, m in ipairs(early) do
		local replayed, rerr = pcall(dispatcher.raw_dispatch, table.unpack(m, 1, 5))
		dispatcher.set_running(self_co)
		if not replayed then
			skynet.error(error_text(rerr))
		end
	end
end

function skynet.start(start_func)
	dispatcher.early(true)
	c.callback(skynet.dispatch_message)
	skynet.timeout(0, function()
		skynet.init_service(start_func)
	end)
end

-- ---- protocols every service speaks ----

skynet.register_protocol {
	name = "lua",
	id = PTYPE_LUA,
	pack = skynet.pack,
	unpack = skynet.unpack,
}

skynet.register_protocol {
	name = "response",
	id = PTYPE_RESPONSE,
}

skynet.register_protocol {
	name = "error",
	id = PTYPE_ERROR,
	unpack = function(...) return ... end,
}

-- the debug protocol is loaded on its first message, to keep idle services small
skynet.register_protocol {
	name = "debug",
	id = PTYPE_DEBUG,
	pack = skynet.pack,
	unpack = skynet.unpack,
	dispatch = function(...)
		local dispatch = require("skynet.debug").init(skynet, {
			suspend = dispatcher.suspend,
			-- resumes a thread the debugger stopped, as the running thread
			resume = function(co, ...)
				dispatcher.set_running(co)
				return coroutine_resume(co, ...)
			end,
			session_id_coroutine = session_id_coroutine,
		})
		return dispatch(...)
	end,
}

self_handle = c.addresscommand "REG"

-- The rest of the API loads on first use, a part at a time, until the
-- name asked for is there: an idle service keeps only what it runs.
local lazy_parts = { "skynet.common", "skynet.extra" }
local parts_loaded = 0

setmetatable(skynet, { __index = function(t, k)
	while parts_loaded < #lazy_parts do
		parts_loaded = parts_loaded + 1
		if parts_loaded == #lazy_parts then
			setmetatable(t, nil)
		end
		require(lazy_parts[parts_loaded])(t, dispatcher.internal())
		local v = rawget(t, k)
		if v ~= nil then
			return v
		end
	end
end })

return skynet
