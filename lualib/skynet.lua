-- The Lua service API: messages in and out, sessions, coroutines, timers.
-- The message path itself is C (lualib-src/lua-dispatch.c, the
-- dispatcher): the callback, the pool of handler threads, what happens
-- after a resume, call, send, ret and timeout.  It shares the tables below
-- with the parts of the API written in Lua.  This file holds what every
-- service runs; the rest of the API loads on first use from
-- skynet/common.lua (protocols, sleep, fork, response...), then
-- skynet/node.lua (names, env, stats, starting services), then
-- skynet/extra.lua (select, task lists...); the paths a service seldom
-- takes (errors from dead services, unknown sessions, traced requests,
-- exit) from skynet/rare.lua, and the start-up from skynet/startup.lua,
-- which is dropped once it has run.  An idle service stays small.
local c = require "skynet.core"
local skynet_require = require "skynet.require"

-- the message type names (skynet.PTYPE_TEXT...) are in skynet/common.lua
local skynet = {}
local PTYPE_RESPONSE = 1
local PTYPE_ERROR = 7
local PTYPE_DEBUG = 9
local PTYPE_LUA = 10

local proto = {} -- name and id -> protocol (skynet.register_protocol)
skynet.proto = proto

-- session bookkeeping; the request a thread serves (its session and
-- source) is the dispatcher's: internal.request(co)
local session_id_coroutine = {}     -- session -> waiting thread, timeout function, or "BREAK"
local unresponse = {}               -- response closure -> address
local watching_session = {}         -- session -> address called

-- callers whose request a finished handler never answered: they wait
-- until this service exits, which then tells them it is gone
local forgotten_callers = {}

local internal -- what the parts loaded later see of this file (below)
local rare_part

skynet.now = c.now
skynet.hpc = c.hpc
skynet.pack = c.pack
skynet.packstring = c.packstring
skynet.unpack = c.unpack
skynet.tostring = c.tostring
skynet.trash = c.trash
skynet.error = c.error
skynet.tracelog = require "skynet.tracelog"

-- The rest of the API loads on first use, a part at a time, until the
-- name asked for is there: an idle service keeps only what it runs.
internal = {
	c = c,
	proto = proto,
	session_id_coroutine = session_id_coroutine,
	session_coroutine_tracetag = {}, -- thread -> its trace tag, or false: never traced
	-- on = true once any tag or trace flag was set (internal.trace_on()):
	-- until then nothing looks threads up in session_coroutine_tracetag
	tracing = { on = false },
	unresponse = unresponse,
	watching_session = watching_session,
	sleep_session = {},                -- token -> session
	-- what a message nobody expects meets: set by
	-- skynet.dispatch_unknown_request and dispatch_unknown_response, else
	-- skynet/rare.lua's
	unknown = {},
	error_queue = {},                  -- sessions whose calls failed, to resume
	forgotten_callers = forgotten_callers,
	trace_source = {},                 -- source -> the tag of its next request
	-- skynet/rare.lua, loaded the first time one of its paths is taken
	rare = function()
		if not rare_part then
			rare_part = require "skynet.rare"(skynet, internal)
		end
		return rare_part
	end,
	self = c.addresscommand "REG",
}

-- The dispatcher adds the message path: to internal new_session,
-- co_create, suspend, raw_dispatch_message, yield_call, finish_request,
-- running_thread (running_thread(co) makes co the running one,
-- running_thread(false) forgets it), request and take_session (the
-- session and source of the request a thread serves), wakeup, fork,
-- clear_forks, calls_failed, trace_on, error_text and early; to skynet
-- call, send, ret, timeout and dispatch_message.
c.dispatcher(internal, skynet)
local rare = internal.rare

function skynet.self()
	return internal.self
end

-- ---- messages in ----

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

function skynet.exit()
	return rare().exit()
end

-- killed from outside: the VM closes and this finalizer (kept in internal)
-- answers the callers that would otherwise wait forever
internal.release_on_close = setmetatable({}, { __gc = function()
	if rare_part or next(session_id_coroutine) or next(unresponse) or next(watching_session)
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
	local early = internal.early(nil) or {}
	local startup = require "skynet.startup"
	package.loaded["skynet.startup"] = nil
	return startup(skynet, internal, start, early)
end

function skynet.start(start_func)
	internal.early({})
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
