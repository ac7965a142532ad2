-- snax.interface(name, G [, loader]): loads the snax service file NAME
-- (found through the config key `snax`, a ;-separated list of patterns
-- with ?) with G as its globals, and lists its methods:
--   { {id, group, name, f}, ... }, pattern
-- ids 1 to 4 are the system functions init, exit, hotfix and profile
-- (f is nil when the file does not define one); then the file's
-- accept.NAME and response.NAME functions in the order it defines them, so
-- a caller that loads the same file numbers them the same.
local skynet = require "skynet"

local SYSTEM = { "init", "exit", "hotfix", "profile" }

local function default_loader(path, name, G)
	local errors = {}
	for pattern in string.gmatch(path, "[^;]+") do
		local filename = string.gsub(pattern, "?", name)
		local f, err = loadfile(filename, "bt", G)
		if f then
			return f, pattern
		end
		errors[#errors + 1] = err
	end
	error(table.concat(errors, "\n"))
end

-- a table whose assignments append methods of one group to funcs
local function method_group(funcs, group)
	local defined = {}
	return setmetatable({}, { __newindex = function(_, name, f)
		if type(name) ~= "string" then
			error(string.format("%s method only support string", group))
		end
		if type(f) ~= "function" then
			error(string.format("%s.%s must be function", group, name))
		end
		if defined[name] then
			error(string.format("%s.%s duplicate definition", group, name))
		end
		defined[name] = true
		funcs[#funcs + 1] = { #funcs + 1, group, name, f }
	end })
end

return function(name, G, loader)
	for _, key in ipairs { "init", "exit", "accept", "response" } do
		assert(G[key] == nil, "snax globals already define " .. key)
	end
	local funcs, system_id = {}, {}
	for id, sysname in ipairs(SYSTEM) do
		funcs[id] = { id, "system", sysname }
		system_id[sysname] = id
	end

	-- while the file runs, accept/response collect methods, system names
	-- set the system functions, other globals wait in `pending`
	local pending = {}
	local env = setmetatable({
		accept = method_group(funcs, "accept"),
		response = method_group(funcs, "response"),
	}, { __index = pending })
	local function assign(_, key, value)
		local id = system_id[key]
		if id == nil then
			pending[key] = value
		elseif type(value) ~= "function" then
			error(string.format("%s must be a function", key))
		else
			funcs[id][4] = value
		end
	end

	local path = assert(skynet.getenv "snax", "please set snax in config file")
	local main, pattern = (loader or default_loader)(path, name, G)
	if main == nil then
		error(pattern, 0) -- a loader's compile error
	end
	-- G's own metatable (snlua's, which opens io/os/math/utf8 on first
	-- read) still answers what env does not, and comes back after
	local saved = getmetatable(G)
	local fallback = saved and saved.__index
	local function lookup(t, key)
		local v = env[key]
		if v ~= nil or fallback == nil then
			return v
		end
		if type(fallback) == "function" then
			return fallback(t, key)
		end
		return fallback[key]
	end
	setmetatable(G, { __index = lookup, __newindex = assign })
	local ok, err = xpcall(main, debug.traceback)
	setmetatable(G, saved)
	assert(ok, err)
	for k, v in pairs(pending) do
		G[k] = v
	end
	return funcs, pattern
end
