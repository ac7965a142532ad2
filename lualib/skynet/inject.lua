-- Runs a chunk of Lua source inside a service (the console's `inject`).
--   ok, output = inject(skynet, source, filename, func...)
-- The chunk sees the service's globals plus:
--   print   collects lines into `output` (a list of strings)
--   _U      the table-valued upvalues reachable from each func (searched
--           through nested functions), by upvalue name
--   _P      for each registered protocol, the table-valued upvalues of its
--           dispatch function: _P.lua.CMD is the CMD table a service's
--           "lua" dispatcher closes over
-- ok is false when the chunk does not compile or raises an error.

-- Adds the table upvalues reachable from func to tables, by name.
local function collect_upvalues(tables, func, visited)
	if visited[func] then
		return
	end
	visited[func] = true
	for i = 1, math.huge do
		local name, value = debug.getupvalue(func, i)
		if name == nil then
			break
		end
		local t = type(value)
		if t == "table" then
			tables[name] = tables[name] or value
		elseif t == "function" then
			collect_upvalues(tables, value, visited)
		end
	end
end

local function protocol_upvalues(proto, visited)
	local result = {}
	for _, p in pairs(proto) do
		-- proto holds each protocol twice, by name and by id
		if type(p) == "table" and p.name and p.dispatch and not result[p.name] then
			local tables = {}
			collect_upvalues(tables, p.dispatch, visited)
			result[p.name] = tables
		end
	end
	return result
end

return function(skynet, source, filename, ...)
	local output = {}
	local function print(...)
		local t = table.pack(...)
		for i = 1, t.n do
			t[i] = tostring(t[i])
		end
		output[#output + 1] = table.concat(t, "\t", 1, t.n)
	end
	local upvalues, visited = {}, {}
	local funcs = table.pack(...)
	for i = 1, funcs.n do
		if type(funcs[i]) == "function" then
			collect_upvalues(upvalues, funcs[i], visited)
		end
	end
	local protocols = upvalues.proto and protocol_upvalues(upvalues.proto, {}) or {}
	local env = setmetatable({ print = print, _U = upvalues, _P = protocols }, { __index = _ENV })
	local chunkname = filename and ("@" .. filename) or "=(inject)"
	local chunk, err = load(source, chunkname, "t", env)
	if not chunk then
		return false, { err }
	end
	local ok, result = xpcall(chunk, debug.traceback)
	if not ok then
		output[#output + 1] = result
	end
	return ok, output
end
