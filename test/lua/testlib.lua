-- Helpers for Lua tests: each test is a service started as the node's
-- `start`; T.run runs the body, prints "TEST PASS" or "TEST FAIL: why" and
-- shuts the node down.
local skynet = require "skynet"
require "skynet.manager"

local T = {}

local function show(v)
	if type(v) == "string" then
		return string.format("%q", v)
	end
	return tostring(v)
end

function T.eq(got, want, what)
	if got ~= want then
		error(string.format("%s: want %s, got %s", what or "value", show(want), show(got)), 2)
	end
end

-- a and b hold the same values, tables compared by content
function T.same(a, b)
	if type(a) ~= "table" or type(b) ~= "table" then
		return a == b
	end
	for k, v in pairs(a) do
		if not T.same(v, b[k]) then
			return false
		end
	end
	for k in pairs(b) do
		if a[k] == nil then
			return false
		end
	end
	return true
end

function T.ok(v, what)
	if not v then
		error((what or "assertion") .. " failed", 2)
	end
	return v
end

-- f(...) must raise an error matching pattern (plain find); returns the error
function T.raises(pattern, f, ...)
	local ok, err = pcall(f, ...)
	if ok then
		error("expected an error matching " .. show(pattern), 2)
	end
	if pattern and not tostring(err):find(pattern, 1, true) then
		error(string.format("error %s does not contain %s", show(tostring(err)), show(pattern)), 2)
	end
	return err
end

-- runs f(...) in a forked thread; returns wait(ticks, what), which waits
-- up to ticks for the thread to end and returns what pcall(f, ...) did
function T.started(f, ...)
	local result
	local args = table.pack(...)
	skynet.fork(function()
		result = table.pack(pcall(f, table.unpack(args, 1, args.n)))
	end)
	return function(ticks, what)
		local deadline = skynet.now() + ticks
		while not result and skynet.now() < deadline do
			skynet.sleep(2)
		end
		T.ok(result, what .. ": finished within " .. ticks / 100 .. " s")
		return table.unpack(result, 1, result.n)
	end
end

-- runs f(i) for i = 1..n, each in a forked thread, and waits up to ticks
-- for all of them; fails unless all finished
function T.parallel(n, ticks, what, f)
	local done = 0
	for i = 1, n do
		skynet.fork(function()
			f(i)
			done = done + 1
		end)
	end
	local deadline = skynet.now() + ticks
	while done < n and skynet.now() < deadline do
		skynet.sleep(1)
	end
	T.eq(done, n, what .. ": threads finished")
end

-- a port on 127.0.0.1 the kernel found free a moment ago (its listener is
-- closed again): for a closed port to connect to, or a UDP port to bind
function T.free_port()
	local socket = require "skynet.socket"
	local id, _, port = socket.listen("127.0.0.1", 0)
	socket.close(id)
	return port
end

-- T.parallel where every f(i) checks what it got: fails unless all say true
function T.parallel_checked(n, ticks, what, f)
	local wrong = 0
	T.parallel(n, ticks, what, function(i)
		if not f(i) then
			wrong = wrong + 1
		end
	end)
	T.eq(wrong, 0, what .. ": threads that got a wrong answer")
end

-- a copy of base with the fields of changes put over it
function T.with(base, changes)
	local c = {}
	for k, v in pairs(base) do
		c[k] = v
	end
	for k, v in pairs(changes) do
		c[k] = v
	end
	return c
end

-- a step the driving shell script does (run_actions in test/sh/core_lib.sh):
-- prints "ACTION name" and waits up to 30 s for the file dir/name.done
function T.shell_action(dir, name)
	print("ACTION " .. name)
	local deadline = skynet.now() + 3000
	while skynet.now() < deadline do
		local f = io.open(dir .. "/" .. name .. ".done")
		if f then
			f:close()
			return
		end
		skynet.sleep(5)
	end
	error("the shell did not do " .. name)
end

function T.run(body)
	skynet.start(function()
		local ok, err = xpcall(body, debug.traceback)
		if ok then
			skynet.error("TEST PASS")
		else
			skynet.error("TEST FAIL: " .. tostring(err))
		end
		skynet.abort()
	end)
end

return T
