-- skynet.coroutine: coroutines inside a service whose bodies may still use
-- skynet.call, sleep and friends.  A skynet yield inside passes through to
-- the service's dispatcher and its answer comes back down; only
-- skynetco.yield returns to the resumer.
local cocreate = coroutine.create
local coresume = coroutine.resume
local coyield = coroutine.yield
local costatus = coroutine.status
local corunning = coroutine.running
local coclose = coroutine.close
local select = select

local skynetco = {}

skynetco.isyieldable = coroutine.isyieldable
skynetco.running = corunning

local state = setmetatable({}, { __mode = "k" }) -- thread -> "running" | "blocked" | "suspended"

function skynetco.create(f)
	local co = cocreate(f)
	state[co] = "suspended"
	return co
end

local function unlock(co, ok, ...)
	if not ok then
		state[co] = nil
		return false, ...
	end
	if costatus(co) == "dead" then
		state[co] = nil
		return true, ...
	end
	if (...) == "USER" then
		state[co] = "suspended"
		return true, select(2, ...)
	end
	-- a skynet yield (a call, a sleep): wait in the dispatcher for it
	state[co] = "blocked"
	return unlock(co, coresume(co, coyield(...)))
end

function skynetco.resume(co, ...)
	local s = state[co]
	if s == nil then
		-- a thread not made here: plain Lua semantics
		return coresume(co, ...)
	end
	if s ~= "suspended" then
		return false, "cannot resume a " .. s .. " skynet coroutine"
	end
	state[co] = "running"
	return unlock(co, coresume(co, ...))
end

function skynetco.status(co)
	local s = state[co]
	if s == "blocked" then
		return "blocked"
	end
	return costatus(co)
end

function skynetco.yield(...)
	return coyield("USER", ...)
end

function skynetco.close(co)
	state[co] = nil
	return coclose(co)
end

function skynetco.wrap(f)
	local co = skynetco.create(f)
	return function(...)
		local function pass(ok, ...)
			if ok then
				return ...
			end
			error((...), 0)
		end
		return pass(skynetco.resume(co, ...))
	end
end

return skynetco
