-- Tracebacks taken in a service name the file and line of every Lua frame
-- (the code cache must keep line information), through modules, forks,
-- sleeps and the lazily loaded parts of the API.
local skynet = require "skynet"
require "skynet.manager"
local T = require "testlib"

-- every frame line is "[C]: in ...", "file.lua:LINE: in ..." or the tail
-- call marker; returns the files seen
local function check_frames(tb, what)
	T.ok(type(tb) == "string", what .. ": a traceback")
	local body = tb:match("stack traceback:\n(.*)")
	T.ok(body, what .. ": has a stack traceback: " .. tb)
	local files, lua_frames = {}, 0
	for line in body:gmatch("[^\n]+") do
		if not line:find("^\t%[C%]: in ") and line ~= "\t(...tail calls...)" then
			local file, lineno = line:match("^\t([^:]+%.lua):(%d+): in ")
			T.ok(file, string.format("%s: frame without file:line: %q in\n%s", what, line, tb))
			T.ok(tonumber(lineno) > 0, what .. ": line number")
			files[file:match("[^/]+$")] = true
			lua_frames = lua_frames + 1
		end
	end
	T.ok(lua_frames >= 3, what .. ": several Lua frames")
	return files
end

T.run(function()
	local svc = skynet.newservice("traceback_svc")
	local files = check_frames(skynet.call(svc, "lua", "direct"), "direct")
	-- the frame under the handler is the dispatcher's (C)
	T.ok(files["traceback_svc.lua"] and files["traceback_mod.lua"], "direct: service and module frames")
	files = check_frames(skynet.call(svc, "lua", "after_sleep"), "after sleep")
	T.ok(files["traceback_svc.lua"] and files["traceback_mod.lua"], "after sleep: service and module frames")
	local tb = skynet.call(svc, "lua", "error_in_fork")
	T.ok(tb:find("traceback_svc.lua:%d+: attempt to index a nil value %(local 't'%)"),
		"error names the line and the local: " .. tb)
	check_frames(tb, "error in fork")
	files = check_frames(skynet.call(svc, "lua", "waiting_task"), "waiting task")
	T.ok(files["common.lua"] and files["traceback_mod.lua"], "waiting task: sleep and module frames")
	skynet.kill(svc)
end)
