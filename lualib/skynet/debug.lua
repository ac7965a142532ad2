-- The "debug" protocol every Lua service answers (PTYPE_DEBUG): memory,
-- statistics, tasks, exit, code injection...  skynet.lua loads it on the
-- first debug message; init registers the dispatcher and returns it.
local M = {}

-- I holds skynet.lua's internals
function M.init(skynet, I)
	local export = {
		suspend = I.suspend,
		-- resumes a thread the debugger stopped, as the running thread
		resume = function(co, ...)
			I.running_thread(co)
			return coroutine.resume(co, ...)
		end,
		session_id_coroutine = I.session_id_coroutine,
	}
	local dbgcmd = {}

	function dbgcmd.MEM()
		skynet.ret(skynet.pack(collectgarbage "count"))
	end

	function dbgcmd.GC()
		collectgarbage "collect"
	end

	function dbgcmd.STAT()
		skynet.ret(skynet.pack({
			task = skynet.task(),
			mqlen = skynet.stat "mqlen",
			cpu = skynet.stat "cpu",
			message = skynet.stat "message",
		}))
	end

	function dbgcmd.TASK(session)
		if session then
			skynet.ret(skynet.pack(skynet.task(session)))
		else
			local task = {}
			skynet.task(task)
			skynet.ret(skynet.pack(task))
		end
	end

	function dbgcmd.UNIQTASK()
		skynet.ret(skynet.pack(skynet.uniqtask()))
	end

	function dbgcmd.INFO(...)
		local info = skynet.info_func()
		if info then
			skynet.ret(skynet.pack(info(...)))
		else
			skynet.ret(skynet.pack(nil))
		end
	end

	function dbgcmd.EXIT()
		skynet.exit()
	end

	function dbgcmd.TERM(service)
		skynet.term(service)
	end

	function dbgcmd.SUPPORT(pname)
		return skynet.ret(skynet.pack(skynet.dispatch(pname) ~= nil))
	end

	function dbgcmd.PING()
		return skynet.ret()
	end

	-- the caller learns of this service's death through the error reply
	function dbgcmd.LINK()
		skynet.response()
	end

	-- kill a task listed by TASK: by session number or thread name
	function dbgcmd.KILLTASK(task)
		local session = math.tointeger(tonumber(task))
		for s, co in pairs(export.session_id_coroutine) do
			if s == session or tostring(co) == task then
				skynet.killthread(co)
				skynet.ret(skynet.pack("Killed " .. tostring(task)))
				return
			end
		end
		skynet.ret(skynet.pack("No task " .. tostring(task)))
	end

	-- the console's trace command: flag true traces every request of the
	-- protocol, false none, nil leaves it to skynet.trace (skynet.traceproto)
	function dbgcmd.TRACELOG(proto, flag)
		local name = proto
		if type(name) ~= "string" then -- "trace ADDRESS on": the lua protocol
			name, flag = "lua", proto
		end
		skynet.error("Turn trace log " .. tostring(flag) .. " for " .. name)
		skynet.traceproto(name, flag)
		return skynet.ret()
	end

	-- the console's inject: run source here, answer ok and its printed lines
	function dbgcmd.RUN(source, filename)
		local inject = require "skynet.inject"
		local ok, output = inject(skynet, source, filename, export.dispatch, skynet.register_protocol)
		collectgarbage "collect"
		skynet.ret(skynet.pack(ok, table.concat(output, "\n")))
	end

	-- the console's debug: see skynet.remotedebug
	function dbgcmd.REMOTEDEBUG(...)
		-- answer through a response taken now: resuming a stopped
		-- thread makes that thread the current one
		local respond = skynet.response()
		respond(true, pcall(require("skynet.remotedebug").handle, export, ...))
	end

	local function dispatch(session, source, cmd, ...)
		local f = dbgcmd[cmd]
		if f == nil then
			error("unknown debug command " .. tostring(cmd))
		end
		f(...)
	end

	skynet.dispatch("debug", dispatch)
	M.export = export
	M.commands = dbgcmd
	return dispatch
end

return M
