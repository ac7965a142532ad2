-- service_provider: the registry behind skynet.service.  One entry per
-- name: { address = , error = , booting = true, waiting = {responses},
-- args = "a,b", time = }.  Queries of a name that is not up yet wait.
local skynet = require "skynet"

local entries = {}
local provider = {}

local function entry(name)
	local e = entries[name]
	if e == nil then
		e = { waiting = {} }
		entries[name] = e
	end
	return e
end

local function answer_waiters(e, ok, address)
	local waiting = e.waiting
	e.waiting = nil
	for _, respond in ipairs(waiting) do
		respond(ok, address)
	end
end

function provider.test(name)
	local e = entries[name]
	if e == nil then
		return skynet.ret()
	elseif e.booting then
		return skynet.retpack(nil, true)
	elseif e.address then
		return skynet.retpack(e.address)
	elseif e.error then
		error(e.error)
	end
	return skynet.ret()
end

function provider.query(name)
	local e = entry(name)
	if e.address then
		return skynet.retpack(e.address)
	elseif e.error then
		error(e.error)
	end
	table.insert(e.waiting, skynet.response())
end

local function describe_args(...)
	local n = select("#", ...)
	if n == 0 then
		return nil
	end
	local words = {}
	for i = 1, n do
		words[i] = tostring((select(i, ...)))
	end
	return table.concat(words, ",")
end

local function boot(name, code, ...)
	local address = skynet.newservice("service_cell", name)
	local ok, err = pcall(skynet.call, address, "lua", "init", code, ...)
	if not ok then
		skynet.send(address, "debug", "EXIT")
		error(err, 0)
	end
	return address
end

function provider.launch(name, code, ...)
	local e = entry(name)
	if e.address then
		return skynet.retpack(e.address)
	elseif e.error then
		error(e.error)
	elseif e.booting then
		table.insert(e.waiting, skynet.response())
		return
	end
	e.booting = true
	local ok, address = xpcall(boot, debug.traceback, name, code, ...)
	e.booting = nil
	if ok then
		e.address = address
		e.args = describe_args(...)
		e.time = skynet.time()
		answer_waiters(e, true, address)
		return skynet.retpack(address)
	end
	e.error = tostring(address)
	answer_waiters(e, false)
	error(e.error)
end

-- forgets name and answers its address (the caller kills it); nothing
-- while it is still booting or when it is unknown
function provider.close(name)
	local e = entries[name]
	if e == nil or e.booting or e.address == nil then
		return skynet.retpack(nil)
	end
	entries[name] = nil
	return skynet.retpack(e.address)
end

local function info()
	local result = {}
	for name, e in pairs(entries) do
		local key = e.address and skynet.address(e.address) or name
		local status
		if e.booting then
			status = "booting"
		elseif e.error then
			status = "error"
		elseif e.address == nil then
			status = "waiting(" .. #e.waiting .. ")"
		end
		result[key] = {
			name = name,
			init = e.args,
			time = e.time and os.date("%Y %b %d %T %z", math.floor(e.time)),
			status = status,
		}
	end
	return result
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, command, ...)
		local f = provider[command]
		if f == nil then
			error("unknown service_provider command " .. tostring(command))
		end
		f(...)
	end)
	skynet.info_func(info)
end)
