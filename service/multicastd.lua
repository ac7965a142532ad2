-- multicastd: the channels of skynet.multicast on this node.
-- Commands ("lua"): NEW -> channel id, SUB c, USUB c, DEL c, PUB c pkg,
-- DONE pkgid.  A publish binds the package to the number of subscribers
-- and sends each one a header naming it, as a "multicast" message whose
-- session is the package's id.  Copies that never reach a reader come
-- back: a send to a dead subscriber fails at once, and a copy left in a
-- dying subscriber's queue returns as an error message with that session;
-- both release their reference, so every package is freed.
-- Harbor mode does not exist yet: channels are local to the node.
local skynet = require "skynet"
local c = require "skynet.core"
local mc = require "skynet.multicast.core"

local harbor_id = skynet.harbor(skynet.self())
local channels = {}     -- channel id -> { [subscriber] = true }
local next_channel = harbor_id
local packages = {}     -- package id -> package, while copies are out
local last_package = 0

-- only sent from here (as redirects); subscribers receive them
skynet.register_protocol {
	name = "multicast",
	id = skynet.PTYPE_MULTICAST,
}

local command = {}

function command.NEW()
	while channels[next_channel] do
		next_channel = mc.nextid(next_channel)
	end
	local id = next_channel
	channels[id] = {}
	next_channel = mc.nextid(next_channel)
	return id
end

function command.DEL(_, ch)
	channels[ch] = nil
end

function command.SUB(source, ch)
	local group = channels[ch]
	if group then
		group[source] = true
	end
	return true
end

function command.USUB(source, ch)
	local group = channels[ch]
	if group then
		group[source] = nil
	end
end

local function new_package_id()
	local id = last_package
	repeat
		id = id % 0x7fffffff + 1
	until packages[id] == nil
	last_package = id
	return id
end

function command.PUB(source, ch, pkg)
	local group = channels[ch]
	local n = 0
	for _ in pairs(group or {}) do
		n = n + 1
	end
	if n == 0 then
		mc.free(pkg)
		return true
	end
	mc.bind(pkg, n)
	local id = new_package_id()
	packages[id] = pkg
	local header = mc.header(pkg, ch, source)
	local self = skynet.self()
	for subscriber in pairs(group) do
		if not skynet.redirect(subscriber, self, "multicast", id, header) then
			group[subscriber] = nil -- it is gone
			if mc.release(pkg) then
				packages[id] = nil
			end
		end
	end
	return true
end

function command.DONE(_, id)
	packages[id] = nil
end

-- a copy dropped by a subscriber's queue: its reference is ours to release
local function lost_copy(id)
	if mc.release(packages[id]) then
		packages[id] = nil
	end
end

skynet.start(function()
	skynet.dispatch("lua", function(session, source, cmd, ...)
		local f = assert(command[cmd], "unknown multicastd command")
		local result = f(source, ...)
		if session ~= 0 then
			skynet.retpack(result)
		end
	end)
end)

-- set in the main chunk, before the first message (the core keeps the
-- callback it was given then): error messages about our packages are
-- lost copies, everything else goes the usual way
local dispatch_message = skynet.dispatch_message
c.callback(function(prototype, msg, sz, session, source)
	if prototype == skynet.PTYPE_ERROR and session ~= 0 and packages[session] then
		return lost_copy(session)
	end
	return dispatch_message(prototype, msg, sz, session, source)
end)
