-- snax.hotfix: replaces functions of a running snax service with those of
-- a patch, keeping the service's state.  The patch is snax source: it
-- redefines accept.X / response.X / init / exit, and may define
-- hotfix(...), which runs after the swap and whose results are returned.
-- In the patch, a local declared without a value (`local count`) and
-- the globals (_ENV) become the very variables of the same name that the
-- old functions see (upvalue joining), so the new code reads and writes
-- the live state.
--   hotfix(funcs, source, ...) -> true, results... | false, error
local snax_interface = require "snax.interface"

-- the id of f's _ENV upvalue, or nil
local function env_id(f)
	for i = 1, math.huge do
		local name = debug.getupvalue(f, i)
		if name == nil then
			return nil
		elseif name == "_ENV" then
			return debug.upvalueid(f, i)
		end
	end
end

-- name -> { func =, index = } for each upvalue reachable from f through
-- functions of the same chunk family (sharing its _ENV); two different
-- variables of one name make the patch ambiguous
local function collect_upvalues(f, found, env)
	for i = 1, math.huge do
		local name, value = debug.getupvalue(f, i)
		if name == nil then
			break
		end
		local id = debug.upvalueid(f, i)
		local known = found[name]
		if known then
			if known.id ~= id then
				error(string.format("ambiguity local value %s", name))
			end
		else
			found[name] = { func = f, index = i, id = id }
			if type(value) == "function" and env_id(value) == env then
				collect_upvalues(value, found, env)
			end
		end
	end
end

local function global_env_holder()
	return _ENV
end

local function live_upvalues(funcs)
	local found = {}
	for _, method in pairs(funcs) do
		local f = method[4]
		if f then
			collect_upvalues(f, found, env_id(f))
		end
	end
	found._ENV = found._ENV or { func = global_env_holder, index = 1 }
	return found
end

local function find_method(funcs, group, name)
	for _, method in pairs(funcs) do
		if method[2] == group and method[3] == name then
			return method
		end
	end
end

-- the patch's stand-in globals: a copy, so patch upvalues that still hold
-- it are recognised as "_ENV, to be joined"
local placeholder_env = {}
for k, v in pairs(_ENV) do
	placeholder_env[k] = v
end

local function join_upvalues(f, live, visited)
	if visited[f] then
		return
	end
	visited[f] = true
	for i = 1, math.huge do
		local name, value = debug.getupvalue(f, i)
		if name == nil then
			break
		end
		if value == nil or value == placeholder_env then
			local target = live[name]
			if target then
				debug.upvaluejoin(f, i, target.func, target.index)
			end
		elseif type(value) == "function" then
			join_upvalues(value, live, visited)
		end
	end
end

local function source_loader(source)
	return function(_, _, G)
		return load(source, "=patch", "bt", G)
	end
end

local function apply(funcs, source, ...)
	local patch = snax_interface("patch", placeholder_env, source_loader(source))
	local live = live_upvalues(funcs)
	local visited = {}
	for _, method in ipairs(patch) do
		local _, group, name, f = table.unpack(method)
		if f then
			local target = find_method(funcs, group, name)
			if target == nil then
				error(string.format("Patch mismatch %s.%s", group, name))
			end
			join_upvalues(f, live, visited)
			target[4] = f
		end
	end
	local fix = find_method(patch, "system", "hotfix")
	if fix and fix[4] then
		return fix[4](...)
	end
end

return function(funcs, source, ...)
	return pcall(apply, funcs, source, ...)
end
