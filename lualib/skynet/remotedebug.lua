-- The in-service half of the debug console's `debug` command.  While a
-- console session debugs this service, every message handler (except the
-- "debug" protocol's) runs with a line hook that stops at breakpoints:
-- the handler's coroutine yields (skynet.debughook) and the service goes
-- on handling other messages, the debugger's commands among them, until
-- the user steps or continues.  Output goes straight to the console's
-- socket; the console relays each input line with
--   skynet.call(service, "debug", "REMOTEDEBUG", "cmd", line)
-- after entering with ("start", fd).  The line "cont" leaves debug mode.
local skynet = require "skynet"
local driver = require "skynet.socketdriver"
local hook = require "skynet.debughook"

local M = {}

local HELP = [[
Debugger commands:
  b FILE:LINE     set a breakpoint (FILE may be a path suffix: foo.lua:12)
  b               list breakpoints
  d [N]           delete breakpoint N, or all
  watch PROTO     stop at the first line of the next PROTO message (e.g. lua)
  s               step into (when stopped)
  n               step over (when stopped)
  c               continue to the next breakpoint (when stopped)
  l               print the local variables of the stopped function
  bt              traceback of the stopped coroutine
  cont            leave debug mode (all stopped coroutines go on)
  anything else   Lua code, run in the stopped function's scope (its locals
                  and upvalues can be read and assigned, then the globals);
                  expressions print their values; only when stopped]]

-- Sources whose lines are never stopped at while stepping: skynet's own
-- dispatch machinery and the debugger.
local INTERNAL = {
	[debug.getinfo(skynet.start, "S").source] = true,
	[debug.getinfo(1, "S").source] = true,
}

local WATCHED_PROTOCOLS = { "lua", "text", "client", "socket", "system", "harbor", "multicast", "snax" }

local export	-- { suspend, resume } from skynet.debug
local dbg	-- the debug session, nil when not debugging

local function write(...)
	local t = table.pack(...)
	for i = 1, t.n do
		t[i] = tostring(t[i])
	end
	driver.send(dbg.fd, table.concat(t, "\t", 1, t.n) .. "\n")
end

local function show(v)
	if type(v) == "string" then
		return string.format("%q", v)
	end
	return tostring(v)
end

local function current()
	return dbg.paused[1]
end

local function prompt()
	local ctx = current()
	if ctx then
		driver.send(dbg.fd, string.format("%s(%d)>", ctx.file, ctx.line))
	else
		driver.send(dbg.fd, string.format(":%08x>", skynet.self()))
	end
end

local function source_line(file, line)
	local lines = dbg.sources[file]
	if lines == nil then
		lines = {}
		local f = io.open(file, "rb")
		if f then
			for l in f:lines() do
				lines[#lines + 1] = l
			end
			f:close()
		end
		dbg.sources[file] = lines
	end
	return lines[line]
end

------------------------------------------------------------- breakpoints

-- Does a chunk source ("@./service/foo.lua") name the breakpoint's file?
local function same_file(source, file)
	if source:sub(1, 1) ~= "@" then
		return false
	end
	local path = source:sub(2)
	return path == file or path:sub(-#file - 1) == "/" .. file
end

local function find_breakpoint(source, line)
	for _, bp in ipairs(dbg.by_line[line] or {}) do
		if same_file(source, bp.file) then
			return bp
		end
	end
end

local function add_breakpoint(spec)
	local file, line = spec:match "^(.-):(%d+)$"
	if not file or file == "" then
		write "Usage: b FILE:LINE"
		return
	end
	line = tonumber(line)
	if not file:find "%.lua$" then
		file = file .. ".lua"
	end
	dbg.last_id = dbg.last_id + 1
	local bp = { id = dbg.last_id, file = file, line = line }
	dbg.breakpoints[bp.id] = bp
	local list = dbg.by_line[line] or {}
	list[#list + 1] = bp
	dbg.by_line[line] = list
	write(string.format("Breakpoint %d at %s:%d", bp.id, file, line))
end

local function delete_breakpoint(bp)
	dbg.breakpoints[bp.id] = nil
	local list = dbg.by_line[bp.line]
	for i, b in ipairs(list) do
		if b == bp then
			table.remove(list, i)
			break
		end
	end
	if #list == 0 then
		dbg.by_line[bp.line] = nil
	end
end

local function list_breakpoints()
	local ids = {}
	for id in pairs(dbg.breakpoints) do
		ids[#ids + 1] = id
	end
	table.sort(ids)
	if #ids == 0 then
		write "No breakpoints"
	end
	for _, id in ipairs(ids) do
		local bp = dbg.breakpoints[id]
		write(string.format("%d\t%s:%d", id, bp.file, bp.line))
	end
end

------------------------------------------------------------- the line hook

local function stack_depth()
	local level = 3
	while debug.getinfo(level, "l") do
		level = level + 1
	end
	return level
end

-- Names of the active locals of the function at `level`, read while it
-- runs (after a hook yield, the debug info of a suspended coroutine sees
-- the previous instruction and may miss the newest local).
local function capture_locals(level)
	local list, index = {}, {}
	for i = 1, math.huge do
		local name = debug.getlocal(level + 1, i)
		if name == nil then
			break
		end
		if name:sub(1, 1) ~= "(" then
			list[#list + 1] = { name = name, index = i }
			index[name] = i
		end
	end
	return list, index
end

local function announce(ctx)
	write(string.format("Break at %s:%d", ctx.file, ctx.line))
	local text = source_line(ctx.file, ctx.line)
	if text then
		write(string.format("%d:\t%s", ctx.line, text))
	end
	if not dbg.busy then
		prompt()
	end
end

-- Called on every line run by a watched coroutine; true pauses it.
local function on_line(line, yieldable)
	if dbg == nil then
		return false
	end
	local co = coroutine.running()
	local step = dbg.stepping[co]
	local info
	if step then
		if step.depth and stack_depth() > step.depth then
			return false
		end
		info = debug.getinfo(2, "Sf")
		if INTERNAL[info.source] then
			return false
		end
	else
		if dbg.by_line[line] == nil then
			return false
		end
		info = debug.getinfo(2, "Sf")
		if not find_breakpoint(info.source, line) then
			return false
		end
	end
	if not yieldable then
		write(string.format("Can't stop at %s:%d: the coroutine can't yield here", info.short_src, line))
		return false
	end
	dbg.stepping[co] = nil
	local list, index = capture_locals(2)
	local ctx = {
		co = co,
		func = info.func,
		file = info.short_src,
		line = line,
		depth = stack_depth(),
		locals = list,
		local_index = index,
	}
	table.insert(dbg.paused, ctx)
	announce(ctx)
	return true
end

-- Runs a handler with the line hook on its coroutine.
local detach_on_close = setmetatable({}, {
	__close = function()
		local co = coroutine.running()
		hook.detach(co)
		if dbg then
			dbg.stepping[co] = nil
		end
	end,
})

local function watched(name, dispatch)
	return function(...)
		if dbg == nil then
			return dispatch(...)
		end
		local co = coroutine.running()
		hook.attach(co)
		if dbg.watch[name] then
			dbg.watch[name] = nil
			dbg.stepping[co] = {}
		end
		local _ <close> = detach_on_close
		return dispatch(...)
	end
end

local function wrap_dispatchers()
	for _, name in ipairs(WATCHED_PROTOCOLS) do
		local ok, dispatch = pcall(skynet.dispatch, name)
		if ok and dispatch then
			local wrapper = watched(name, dispatch)
			skynet.dispatch(name, wrapper)
			dbg.wrapped[name] = { origin = dispatch, wrapper = wrapper }
		end
	end
end

local function unwrap_dispatchers()
	for name, w in pairs(dbg.wrapped) do
		-- the service may have installed another handler meanwhile
		if skynet.dispatch(name) == w.wrapper then
			skynet.dispatch(name, w.origin)
		end
	end
end

------------------------------------------------------------- stopped code

-- Resumes a stopped thread; an error in its handler is shown and logged
-- as skynet would log it, and the debug session goes on.
local function run_thread(co)
	local ok, err = pcall(export.suspend, co, export.resume(co))
	if not ok then
		if dbg then
			write(err)
		end
		skynet.error(err)
	end
end

-- Lets the first stopped coroutine run; it may stop again (the hook then
-- announces where) or yield as usual to skynet.
local function resume_paused(stepping)
	local ctx = table.remove(dbg.paused, 1)
	dbg.stepping[ctx.co] = stepping
	run_thread(ctx.co)
end

-- A table reading and writing the stopped function's locals and upvalues,
-- then its globals.
local function frame_env(ctx, print)
	local co, func = ctx.co, ctx.func
	local upvalues = {}
	for i = 1, math.huge do
		local name = debug.getupvalue(func, i)
		if name == nil then
			break
		end
		upvalues[name] = i
	end
	local globals = _G
	if upvalues._ENV then
		local _, env = debug.getupvalue(func, upvalues._ENV)
		globals = env
	end
	return setmetatable({}, {
		__index = function(_, k)
			local i = ctx.local_index[k]
			if i then
				return select(2, debug.getlocal(co, 0, i))
			end
			i = upvalues[k]
			if i then
				return select(2, debug.getupvalue(func, i))
			end
			if k == "print" then
				return print
			end
			return globals[k]
		end,
		__newindex = function(_, k, v)
			local i = ctx.local_index[k]
			if i then
				debug.setlocal(co, 0, i, v)
			elseif upvalues[k] then
				debug.setupvalue(func, upvalues[k], v)
			else
				globals[k] = v
			end
		end,
	})
end

local function print_locals(ctx)
	if #ctx.locals == 0 then
		write "No locals"
	end
	for _, l in ipairs(ctx.locals) do
		local _, value = debug.getlocal(ctx.co, 0, l.index)
		write(l.name .. " = " .. show(value))
	end
end

local function watch(proto)
	if dbg.wrapped[proto] == nil then
		write("No watched " .. tostring(proto) .. " dispatcher in this service")
		return
	end
	dbg.watch[proto] = true
	write("Watching the next " .. proto .. " message")
end

------------------------------------------------------------- commands

local function print_results(ok, ...)
	if not ok then
		write(...)
	elseif select("#", ...) > 0 then
		write(...)
	end
end

-- Lua code runs only in a stopped function's scope: a debug session that
-- is not at a breakpoint cannot run arbitrary code in the service.
local function run_lua(line)
	local ctx = current()
	if ctx == nil then
		write "Not stopped: Lua code runs only at a breakpoint (b FILE:LINE, then send the service a message)"
		return
	end
	local print = function(...) write(...) end
	local env = frame_env(ctx, print)
	local chunk = load("return " .. line, "=(debug)", "t", env)
	if chunk == nil then
		local err
		chunk, err = load(line, "=(debug)", "t", env)
		if chunk == nil then
			write(err)
			return
		end
	end
	print_results(pcall(chunk))
end

local STOPPED_ONLY = {
	s = function() resume_paused {} end,
	n = function(ctx) resume_paused { depth = ctx.depth } end,
	c = function() resume_paused(nil) end,
	l = print_locals,
	bt = function(ctx) write(debug.traceback(ctx.co)) end,
}

local function leave()
	local d = dbg
	unwrap_dispatchers()
	d.by_line, d.breakpoints, d.stepping, d.watch = {}, {}, {}, {}
	hook.sethook(nil)
	driver.send(d.fd, "Leave debug mode\n")
	skynet.error "Leave debug mode"
	dbg = nil
	-- with no session the hook detaches at the next line: they run freely
	for _, ctx in ipairs(d.paused) do
		run_thread(ctx.co)
	end
end

local function command(line)
	line = line:match "^%s*(.-)%s*$"
	if line == "cont" then
		leave()
		return
	end
	local word, rest = line:match "^(%S*)%s*(.*)$"
	local ctx = current()
	if line == "" then
		-- just a new prompt
	elseif word == "help" then
		write(HELP)
	elseif word == "b" or word == "break" then
		if rest == "" then
			list_breakpoints()
		else
			add_breakpoint(rest)
		end
	elseif word == "d" or word == "delete" then
		if rest == "" then
			dbg.breakpoints, dbg.by_line = {}, {}
			write "All breakpoints deleted"
		elseif dbg.breakpoints[tonumber(rest)] then
			delete_breakpoint(dbg.breakpoints[tonumber(rest)])
			write("Breakpoint " .. rest .. " deleted")
		else
			write("No breakpoint " .. rest)
		end
	elseif word == "watch" and rest:match "^%w+$" then
		watch(rest)
	elseif STOPPED_ONLY[word] and rest == "" then
		if ctx then
			STOPPED_ONLY[word](ctx)
		else
			write "Not stopped: set a breakpoint (b FILE:LINE) and send the service a message"
		end
	else
		run_lua(line)
	end
	prompt()
end

local function start(fd)
	if dbg then
		error("Already in debug mode", 0)
	end
	dbg = {
		fd = fd,
		breakpoints = {},	-- id -> { id, file, line }
		by_line = {},	-- line -> list of breakpoints
		last_id = 0,
		paused = {},	-- stopped coroutines, first is current
		stepping = {},	-- coroutine -> {} (step) or { depth = n } (next)
		watch = {},	-- protocol name -> stop at its next message
		wrapped = {},	-- protocol name -> { origin, wrapper }
		sources = {},	-- file -> its lines, for showing where we stop
	}
	wrap_dispatchers()
	hook.sethook(on_line)
	skynet.error "Enter debug mode"
	driver.send(fd, string.format("Debugging :%08x, type help for debugger commands\n", skynet.self()))
	prompt()
end

-- op "start", fd: enter debug mode, writing to socket fd
-- op "cmd", line: run one debugger command line
function M.handle(import, op, arg)
	export = import
	if op == "start" then
		start(assert(math.tointeger(arg), "need a socket id"))
	elseif op == "cmd" then
		if dbg == nil then
			error("Not in debug mode", 0)
		end
		dbg.busy = true
		local ok, err = pcall(command, tostring(arg))
		if dbg then
			dbg.busy = false
		end
		if not ok then
			error(err, 0)
		end
	else
		error("Unknown remote debug operation " .. tostring(op), 0)
	end
end

return M
