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

-- skynet coroutine -> the skynet thread (a message handler) it runs for
local root = setmetatable({}, { __mode = "kv" })

function skynetco.resume(co, ...)
	local s = state[co]
	if s == nil then
		-- not made here (a message handler's thread, say): resuming it
		-- would run the framework's yields out of turn
		return false, "cannot resume none skynet coroutine"
	end
	if s ~= "suspended" then
		return false, "cannot resume a " .. s .. " skynet coroutine"
	end
	state[co] = "running"
	local from = corunning()
	root[co] = root[from] or from
	return unlock(co, coresume(co, ...))
end

-- the skynet thread co (default: the running one) works for, and false;
-- co itself and true when it is a skynet thread
function skynetco.thread(co)
	co = co or corunning()
	if state[co] ~= nil then
		return root[co], false
	end
	return co, true
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
