-- clustersender NODE NODENAME HOST PORT: the one connection from this node
-- to NODE, started by clusterd.  Commands (lua):
--   req addr msg sz       a call; answers with the remote answer's bytes
--                         (the caller's skynet.call unpacks them), or an
--                         error when the call fails remotely or the
--                         connection fails
--   push addr msg sz      a one-way message
--   changenode host port  the node moved (connect there);
--   changenode false      the node is down (calls fail until it is back)
--   options t             t.timeout: seconds (see clusterd)
--   drained               answers once every message before it is in the
--                         socket (or failed) and the socket's unsent bytes
--                         are under its warning mark (skynet.cluster's
--                         flow control for cluster.send)
-- msg/sz is a skynet.pack'ed message, freed here.  Every call on the
-- connection has its own session; many are in flight at once.
local skynet = require "skynet"
local socket = require "skynet.socket"
local socketchannel = require "skynet.socketchannel"
local core = require "skynet.cluster.core"

local node, nodename, init_host, init_port = ...

local channel
local session = 1
local timeout = 500   -- centiseconds
local in_flight = 0   -- calls waiting for an answer
local last_heard = 0  -- skynet.now() when the peer last answered anything
local watching = false
local pushing = 0         -- pushes waiting for the connection to be made
local overloaded = false  -- the socket holds more unsent bytes than its warning mark
local drain_waiters = {}  -- coroutines of drained calls, waiting
local drain_watching = false
local gathered_on         -- the connection the gathered frames were kept for

local command = {}

local function read_response(sock)
	local sz = socket.header(sock:read(2))
	if sz == 0 then
		return -- malformed: the connection is dropped
	end
	local body = sock:read(sz)
	last_heard = skynet.now()
	return core.unpackresponse(body)
end

-- A traced call tells the peer its tag in a frame just before the request
-- (packrequest puts both in one write, so no other request comes
-- between).  A tag that started on this node gets "(thisnode-peer-session)"
-- in front.
local function cluster_tag(tag)
	if tag:sub(1, 1) ~= "(" then
		local tagged = string.format("(%s-%s-%d)%s", nodename, node, session, tag)
		skynet.tracelog(tag, "session " .. tagged)
		tag = tagged
	end
	skynet.tracelog(tag, "cluster " .. node)
	return tag
end

-- Small frames written in a busy spell go out together
-- (skynet.cluster.gather); dropped (and logged) when the connection they
-- were kept for has gone meanwhile.
local gathered = require "skynet.cluster.gather"(function(data, n)
	local sock = gathered_on
	gathered_on = nil
	local ok, err = channel.sock == sock, "the connection was lost"
	if ok then
		ok, err = pcall(channel.request, channel, data)
	end
	if not ok then
		skynet.error(string.format("cluster node [%s]: %d messages not sent: %s", node, n, tostring(err)))
	end
end)
local flush = gathered.flush

-- Keeps frame to be written with others; false when it must be written
-- the ordinary way (no connection, or nothing else waiting).
local function gather(frame)
	local sock = channel.sock
	if not sock or socket.disconnected(sock[1]) then
		return false
	end
	if gathered_on ~= sock then
		flush()
		gathered_on = sock
	end
	return gathered.add(frame)
end

-- msg, sz: a packed message, freed by packrequest
local function send_request(addr, msg, sz)
	local current = session
	local tag = skynet.tracetag()
	local frame, next_session, wiresz = core.packrequest(addr, current, msg, sz, tag and cluster_tag(tag))
	session = next_session
	if wiresz then -- a request in parts: frame is a buffer of all its frames
		flush()
		return channel:requestmsg(frame, wiresz, current)
	end
	if gather(frame) then
		return channel:response(current)
	end
	flush()
	return channel:request(frame, current)
end

-- an answer off the wire: a string, or { size, part... } of a large one;
-- returns the message to pass on, or nil when the parts do not add up
local function joined(data)
	if type(data) ~= "table" then
		return data
	end
	return core.concat(data)
end

-- While calls are in flight the peer must not stay silent: after timeout
-- it is asked a cheap question (a name query, which any node answers at
-- once), after twice that the connection is given up and its calls fail.
-- A peer that is slow to answer a call keeps answering the questions.
local function watch()
	local probing = false
	while in_flight > 0 do
		skynet.sleep(timeout // 2 + 1)
		local silence = skynet.now() - last_heard
		if in_flight > 0 and silence >= 2 * timeout then
			skynet.error(string.format("cluster node [%s] silent for %.1f s, drop the connection", node, silence / 100))
			channel:changehost(channel.host, channel.port) -- reconnects on the next call
			last_heard = skynet.now()
		elseif in_flight > 0 and silence >= timeout and not probing then
			probing = true
			skynet.fork(function()
				pcall(send_request, 0, skynet.pack(""))
				probing = false
			end)
		end
	end
	watching = false
end

local function call(addr, msg, sz)
	if in_flight == 0 then
		last_heard = skynet.now()
	end
	in_flight = in_flight + 1
	if not watching then
		watching = true
		skynet.fork(watch)
	end
	local ok, data = pcall(send_request, addr, msg, sz)
	in_flight = in_flight - 1
	return ok, data
end

function command.req(addr, msg, sz)
	local ok, data = call(addr, msg, sz)
	if ok then
		local m, s = joined(data)
		if m then
			return skynet.ret(m, s)
		end
		data = "Invalid response message"
	end
	local why = data == socketchannel.error and "the connection failed" or tostring(data)
	skynet.error(string.format("cluster call to [%s] failed: %s", node, why))
	skynet.response()(false)
end

local function release_drained()
	if pushing > 0 or overloaded or #drain_waiters == 0 then
		return
	end
	local waiting = drain_waiters
	drain_waiters = {}
	for _, co in ipairs(waiting) do
		skynet.wakeup(co)
	end
end

-- bytes written so far on the channel's socket, nil when it has none
local function bytes_written()
	local sock = channel.sock
	if sock then
		for _, s in ipairs(socket.netstat()) do
			if s.id == sock[1] then
				return s.write
			end
		end
	end
end

-- While drained calls wait on a full socket, the peer must keep reading:
-- a socket that writes nothing for twice timeout (a stopped or unplugged
-- peer) is given up; what it held is lost, and the waiters go on.
local function watch_drain()
	local written, still = bytes_written(), 0
	while #drain_waiters > 0 do
		skynet.sleep(timeout // 2 + 1)
		local now = bytes_written()
		if overloaded and not channel.sock then
			overloaded = false -- the connection went with its unsent bytes
			release_drained()
		elseif overloaded and now == written then
			still = still + timeout // 2 + 1
		else
			written, still = now, 0
		end
		if still >= 2 * timeout then
			skynet.error(string.format("cluster node [%s] reads nothing for %.1f s, drop the connection and its unsent messages", node, still / 100))
			channel:changehost(channel.host, channel.port)
			overloaded, still = false, 0
			release_drained()
		end
	end
	drain_watching = false
end

function command.drained()
	flush()
	if pushing > 0 or overloaded then
		local co = coroutine.running()
		drain_waiters[#drain_waiters + 1] = co
		if not drain_watching then
			drain_watching = true
			skynet.fork(watch_drain)
		end
		skynet.wait(co)
	end
	skynet.ret()
end

function command.push(addr, msg, sz)
	local frame, next_session, wiresz = core.packpush(addr, session, msg, sz)
	if wiresz then -- a push in parts uses a session
		session = next_session
	elseif gather(frame) then
		return
	end
	flush()
	pushing = pushing + 1
	local ok, err
	if wiresz then
		ok, err = pcall(channel.requestmsg, channel, frame, wiresz)
	else
		ok, err = pcall(channel.request, channel, frame)
	end
	pushing = pushing - 1
	if not ok then
		skynet.error(string.format("cluster push to [%s] failed: %s", node, tostring(err)))
	end
	release_drained()
end

function command.changenode(host, port)
	if not host then
		skynet.error(string.format("Close cluster sender [%s] %s:%s", node, channel.host, channel.port))
		channel:close()
		return
	end
	channel:changehost(host, port)
	local ok = pcall(channel.connect, channel, true)
	if not ok then
		skynet.error(string.format("cluster node [%s] at %s:%s: connect failed", node, host, port))
	end
end

function command.options(t)
	if t.timeout then
		timeout = math.max(1, math.floor(t.timeout * 100))
		channel.connect_timeout = timeout
	end
end

skynet.start(function()
	channel = socketchannel.channel {
		host = init_host,
		port = tonumber(init_port),
		response = read_response,
		nodelay = true,
		connect_timeout = timeout,
		overload = function(full)
			overloaded = full
			release_drained()
		end,
	}
	skynet.dispatch("lua", function(_, _, cmd, ...)
		local f = command[cmd]
		if f == nil then
			error("clustersender: unknown command " .. tostring(cmd))
		end
		f(...)
	end)
end)
