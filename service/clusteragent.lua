-- clusteragent CLUSTERD GATE FD: serves one incoming cluster connection.
-- The gate forwards each frame as a client message; every request runs in
-- its own coroutine, so a slow service does not hold up the others, and
-- its answer is written to FD as soon as it is ready.  Requests reach their
-- services in the order they came: while a "@name" is looked up (a call to
-- clusterd), the requests after it wait their turn.
--
-- One-way messages could come faster than their service takes them, and
-- pile up in memory.  The gate stops reading the connection while this
-- agent is behind; and while a service it passes them to has too many
-- messages waiting (QUEUE_HIGH, or BIG_HIGH after a message in parts),
-- this agent holds the connection (gate: hold, release) until the service
-- is down to a quarter of that.  The peer's sender then finds its socket
-- full and waits (cluster.send's flow control): memory stays bounded at
-- both ends, and nothing is lost or reordered.
local skynet = require "skynet"
local c = require "skynet.core"
local socket = require "skynet.socket"
local driver = require "skynet.socketdriver"
local core = require "skynet.cluster.core"

local clusterd, gate, fd = ...
clusterd = tonumber(clusterd)
gate = tonumber(gate)
fd = tonumber(fd)

local names = {}   -- "name" -> handle, registered names already asked for
local backlog = { h = 1, t = 0 } -- requests waiting behind a name lookup
local looking_up = false
local large = {}   -- session -> { assembly, addr, push, tracetag }
local tracetag     -- the trace tag the peer sent for its next request

local QUEUE_HIGH = 1024  -- messages waiting in a service that hold the connection
local BIG_HIGH = 4       -- the same after a message in parts (PART_SIZE or more)
local PART_SIZE = 0x8000
local CHECK_EVERY = 16   -- one-way messages between two looks at a queue
local pushed = 0
local holding = false

-- small answers written in a busy spell go out together (skynet.cluster.gather)
local gathered = require "skynet.cluster.gather"(function(data)
	socket.write(fd, data)
end)

-- frame: an answer's frame (a string), or the buffer of all the frames of
-- an answer in parts (wiresz bytes), which goes at low priority, after
-- what was gathered.
local function write(frame, wiresz)
	if wiresz then
		gathered.flush()
		socket.lwrite(fd, frame, wiresz)
	elseif not gathered.add(frame) then
		socket.write(fd, frame)
	end
end

local function reply_error(session, text)
	write(core.packresponse(session, false, text))
end

-- answers with a packed message (left alone) or a string
local function reply(session, msg, sz)
	write(core.packresponse(session, true, msg, sz))
end

local function registered(name)
	local h = names[name]
	if h == nil then
		h = skynet.call(clusterd, "lua", "queryname", name)
		names[name] = h
	end
	return h
end

local function answer_query(session, msg, sz)
	local ok, name = pcall(skynet.unpack, msg, sz)
	skynet.trash(msg, sz)
	local h = ok and type(name) == "string" and registered(name)
	if h then
		reply(session, skynet.packstring(h))
	else
		reply_error(session, "name not found")
	end
end

-- releases the connection once addr is down to a quarter of limit
local function release_when_drained(addr, limit)
	while c.mqlen(addr) > limit // 4 do
		skynet.sleep(1)
	end
	holding = false
	skynet.send(gate, "lua", "release", fd)
end

-- after a one-way message of sz bytes to addr (a handle or a ".name")
local function hold_back(addr, sz)
	if holding then
		return
	end
	local limit = BIG_HIGH
	if sz < PART_SIZE then
		pushed = pushed + 1
		if pushed % CHECK_EVERY ~= 0 then
			return
		end
		limit = QUEUE_HIGH
	end
	if type(addr) == "string" then
		addr = skynet.localname(addr) or 0
	end
	if c.mqlen(addr) > limit then
		holding = true
		driver.pause(fd) -- at once; the gate keeps it paused until released
		skynet.send(gate, "lua", "hold", fd)
		skynet.fork(release_when_drained, addr, limit)
	end
end

-- a request to addr, a handle or ".name" (nil: a name not registered);
-- msg/sz the payload as it came (freed here)
local function deliver(addr, session, msg, sz, push, tracetag)
	if not addr then
		skynet.trash(msg, sz)
		if not push then
			reply_error(session, "Invalid name")
		end
		return
	end
	if push then
		skynet.rawsend(addr, "lua", msg, sz)
		hold_back(addr, sz)
		return
	end
	local ok, rmsg, rsz
	if tracetag then
		ok, rmsg, rsz = pcall(skynet.tracecall, tracetag, addr, "lua", msg, sz)
	else
		ok, rmsg, rsz = pcall(skynet.rawcall, addr, "lua", msg, sz)
	end
	if ok then
		reply(session, rmsg, rsz)
	else
		reply_error(session, tostring(rmsg))
	end
end

-- Serves the backlog in order, looking names up as needed (new requests
-- join the backlog meanwhile).  A call gets its own coroutine, and the
-- next request waits only until that call is sent, not answered.
local function serve_backlog()
	looking_up = true
	while backlog.h <= backlog.t do
		local req = backlog[backlog.h]
		backlog[backlog.h] = nil
		backlog.h = backlog.h + 1
		local addr = req[1]
		if core.isname(addr) then
			local ok, h = pcall(registered, addr:sub(2))
			addr = ok and h or nil
		end
		if req[5] or not addr then
			deliver(addr, table.unpack(req, 2, 6))
		else
			local co = coroutine.running()
			skynet.fork(function()
				skynet.wakeup(co) -- runs once the call below has sent its request
				deliver(addr, table.unpack(req, 2, 6))
			end)
			skynet.wait(co)
		end
	end
	backlog.h, backlog.t = 1, 0
	looking_up = false
end

-- a complete request: addr is a handle, ".name", "@name" or 0 (a query);
-- msg/sz the payload as it came (freed here)
local function serve(addr, session, msg, sz, push, tracetag)
	if addr == 0 then
		return answer_query(session, msg, sz)
	end
	if not looking_up then
		local known = addr
		if core.isname(addr) then
			known = names[addr:sub(2)]
		end
		if known then
			return deliver(known, session, msg, sz, push, tracetag)
		end
	end
	backlog.t = backlog.t + 1
	backlog[backlog.t] = { addr, session, msg, sz, push, tracetag }
	if not looking_up then
		serve_backlog()
	end
end

-- one part of a request in parts (bytes: n bytes inside the frame being
-- handled); the whole request once it is complete
local function add_part(session, bytes, n, last)
	local req = large[session]
	if req == nil or not req[1]:append(bytes, n) then
		large[session] = nil
		if last then
			reply_error(session, "Invalid large req")
		end
		return
	end
	if not last then
		return
	end
	large[session] = nil
	local m, s = req[1]:take()
	if not m then
		return reply_error(session, "Invalid large req")
	end
	return serve(req.addr, session, m, s, req.push, req.tracetag)
end

-- a frame (client message: session is the fd, msg/sz the body)
local function dispatch(_, _, msg, sz)
	skynet.ignoreret()
	local ok, addr, session, m, s, more, push = pcall(core.unpackrequest, msg, sz)
	if not ok then
		skynet.error(string.format("cluster connection %d: %s, drop it", fd, addr))
		skynet.send(clusterd, "lua", "drop", fd)
		return
	end
	if session == nil then
		-- a trace tag (addr): it goes with the next request
		tracetag = addr
		return
	end
	if addr == false then
		return add_part(session, m, s, not more)
	end
	local tag = tracetag
	tracetag = nil
	if more then -- the head of a request in parts: s is its size
		large[session] = { core.assembly(s), addr = addr, push = push, tracetag = tag }
		return
	end
	return serve(addr, session, m, s, push, tag)
end

skynet.register_protocol {
	name = "client",
	id = skynet.PTYPE_CLIENT,
	unpack = function(msg, sz) return msg, sz end,
	dispatch = dispatch,
}

skynet.start(function()
	skynet.dispatch("lua", function(_, source, cmd)
		if cmd == "exit" then
			skynet.exit()
		elseif cmd == "namechange" then
			names = {}
		else
			skynet.error(string.format("clusteragent: invalid command %s from %s", tostring(cmd), skynet.address(source)))
		end
	end)
	-- the gate may have lost the connection already; clusterd then stops us
	pcall(skynet.call, gate, "lua", "forward", fd)
end)
