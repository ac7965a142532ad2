-- skynet.mqueue (deprecated in skynet in favour of skynet.queue, kept for
-- old code): messages of the "queue" protocol (8) are handled one at a
-- time, in arrival order, by the function given to mqueue.register, even
-- when it blocks (calls, sleeps).
--   mqueue.register(f)        once; f(...) gets each message's values
--   mqueue.call(addr, ...)    f's results, or raises its error
--   mqueue.send(addr, ...)    f's results are not wanted (it must return none)
--   mqueue.size()             messages waiting
local skynet = require "skynet"

local mqueue = {}
local waiting = {} -- { session, source, respond, n, values... } from head to tail
local head, tail = 1, 0
local handler
local sleeping -- the worker's wait token while the queue is empty

skynet.register_protocol {
	name = "queue",
	id = skynet.PTYPE_QUEUE,
	pack = skynet.pack,
	unpack = skynet.unpack,
	dispatch = function(session, source, ...)
		local entry = table.pack(...)
		entry.session, entry.source = session, source
		if session ~= 0 then
			entry.respond = skynet.response()
		end
		tail = tail + 1
		waiting[tail] = entry
		if sleeping then
			local token = sleeping
			sleeping = nil
			skynet.wakeup(token)
		end
	end,
}

local function run(entry)
	local result = table.pack(pcall(handler, table.unpack(entry, 1, entry.n)))
	if entry.respond then
		entry.respond(true, table.unpack(result, 1, result.n))
		return
	end
	if not result[1] then
		error(string.format("[:%x] send a message to [:%x] throw an error : %s",
			entry.source, skynet.self(), tostring(result[2])))
	elseif result.n > 1 then
		error(string.format("[:%x] send a message to [:%x] return something", entry.source, skynet.self()))
	end
end

local worker
function worker()
	while true do
		if head > tail then
			head, tail = 1, 0
			sleeping = coroutine.running()
			skynet.wait(sleeping)
		else
			local entry = waiting[head]
			waiting[head] = nil
			head = head + 1
			local ok, err = pcall(run, entry)
			if not ok then
				-- the error is reported by a fresh worker's failure, this
				-- one keeps the queue moving
				skynet.fork(error, err, 0)
			end
		end
	end
end

function mqueue.register(f)
	assert(handler == nil, "mqueue.register can be called only once")
	assert(type(f) == "function", "mqueue.register needs a function")
	handler = f
	skynet.fork(worker)
end

local function results(ok, ...)
	if not ok then
		error((...), 0)
	end
	return ...
end

function mqueue.call(addr, ...)
	return results(skynet.call(addr, "queue", ...))
end

function mqueue.send(addr, ...)
	return skynet.send(addr, "queue", ...)
end

function mqueue.size()
	return tail - head + 1
end

return mqueue
