-- skynet.injectcode(source [, co [, level [, ext]]]): runs Lua source as if
-- it were written inside a running function: the frame `level` of thread co
-- (default: the running thread, level 0 = the function calling
-- injectcode).  The code reads and assigns that frame's locals and its
-- function's upvalues by name, sees the names of the table ext, then the
-- function's globals; `...` is the frame's varargs.  Returns true and the
-- code's results, or false and the error (compile or run time).
local getlocal, setlocal = debug.getlocal, debug.setlocal
local getupvalue, setupvalue = debug.getupvalue, debug.setupvalue

-- name -> index of the upvalues of f
local function upvalue_index(f)
	local index = {}
	for i = 1, math.huge do
		local name = getupvalue(f, i)
		if name == nil then
			return index
		end
		index[name] = i
	end
end

local function upvalue(f, i)
	return select(2, getupvalue(f, i))
end

return function(source, co, level, ext)
	local running = co == nil or co == coroutine.running()
	co = co or coroutine.running()
	level = level or 0
	-- from this function, its caller is level 2 of the running thread
	local frame = running and level + 2 or level
	local info = debug.getinfo(co, frame, "f")
	if info == nil then
		return false, "Invalid level"
	end
	local func = info.func

	-- a snapshot of the locals (the innermost of each name), written back
	-- after the code ran: the frame's level is only known from here
	local slot, value, assigned = {}, {}, {}
	for i = 1, math.huge do
		local name, v = getlocal(co, frame, i)
		if name == nil then
			break
		end
		if string.byte(name) ~= 40 then -- "(temporary)" slots are not names
			slot[name], value[name] = i, v
		end
	end
	local varargs = {}
	for i = 1, math.huge do
		local name, v = getlocal(co, frame, -i)
		if name == nil then
			break
		end
		varargs[i] = v
	end
	local upvalues = upvalue_index(func)
	local globals = upvalues._ENV and upvalue(func, upvalues._ENV) or _G

	local env = setmetatable({}, {
		__index = function(_, name)
			if slot[name] then
				return value[name]
			elseif upvalues[name] then
				return upvalue(func, upvalues[name])
			elseif ext and ext[name] ~= nil then
				return ext[name]
			end
			return globals[name]
		end,
		__newindex = function(_, name, v)
			if slot[name] then
				value[name], assigned[name] = v, true
			elseif upvalues[name] then
				setupvalue(func, upvalues[name], v)
			else
				globals[name] = v
			end
		end,
	})
	local chunk, err = load(source, "=(debug)", "t", env)
	if chunk == nil then
		return false, err
	end
	local result = table.pack(pcall(chunk, table.unpack(varargs)))
	if result[1] then
		for name in pairs(assigned) do
			setlocal(co, frame, slot[name], value[name])
		end
	end
	return table.unpack(result, 1, result.n)
end
