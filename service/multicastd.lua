-- multicastd: the channels of skynet.multicast on this node.
-- Commands from this node's services ("lua"): NEW -> channel id, SUB c,
-- USUB c, DEL c, PUB c pkg, DONE pkgid.  A publish binds the package to
-- the number of local subscribers and sends each one a header naming it,
-- as a "multicast" message whose session is the package's id.  Copies
-- that never reach a reader come back: a send to a dead subscriber fails
-- at once, and a copy left in a dying subscriber's queue returns as an
-- error message with that session; both release their reference, so
-- every package is freed.
--
-- Harbor mode: a channel id's low byte is the harbor of the node that made
-- it (its home).  Every node's multicastd is found in the datacenter under
-- "multicast", harbor.  A node whose services subscribe to another node's
-- channel keeps its own local group and enrols once at the home (SUBR;
-- USUBR when its last subscriber leaves).  Every publish goes through the
-- home, as the message's bytes (RPUB), so all subscribers see one order
-- per publisher; the home fans out to its own subscribers and sends one
-- copy to each enrolled node (RFAN), which fans out locally.  DEL goes to
-- the home, which tells the enrolled nodes (DELR).
local skynet = require "skynet"
local c = require "skynet.core"
local mc = require "skynet.multicast.core"
local datacenter = require "skynet.datacenter"

local harbor_id = skynet.harbor(skynet.self())
local channels = {}     -- channel id -> { [local subscriber] = true }
local members = {}      -- our channel id -> { [harbor] = its multicastd }
local next_channel = harbor_id
local packages = {}     -- package id -> package, while copies are out
local last_package = 0

-- only sent from here (as redirects); subscribers receive them
skynet.register_protocol {
	name = "multicast",
	id = skynet.PTYPE_MULTICAST,
}

local command = {}

-- the harbor that made ch; an id that is no integer is no channel of
-- anyone's, and is treated as one of ours that does not exist
local function home_of(ch)
	if math.type(ch) ~= "integer" then
		return harbor_id
	end
	return ch & 0xff
end

local homes = {} -- harbor id -> that node's multicastd

local function home_address(harbor)
	local address = homes[harbor]
	if address == nil then
		address = datacenter.get("multicast", harbor)
		if address == nil then
			error(string.format("no multicastd on harbor %d", harbor))
		end
		homes[harbor] = address
	end
	return address
end

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
	local home = home_of(ch)
	if home ~= harbor_id then
		skynet.send(home_address(home), "lua", "DEL", ch)
		return
	end
	channels[ch] = nil
	local nodes = members[ch]
	members[ch] = nil
	for _, address in pairs(nodes or {}) do
		skynet.send(address, "lua", "DELR", ch)
	end
end

function command.SUB(source, ch)
	local home = home_of(ch)
	if home ~= harbor_id and channels[ch] == nil then
		if not skynet.call(home_address(home), "lua", "SUBR", ch) then
			return true -- no such channel
		end
		-- another SUB may have made the group while we waited
		channels[ch] = channels[ch] or {}
	end
	local group = channels[ch]
	if group then
		group[source] = true
	end
	return true
end

-- the last local subscriber of another node's channel leaves its home
local function leave(ch, subscriber)
	local group = channels[ch]
	if group == nil or not group[subscriber] then
		return
	end
	group[subscriber] = nil
	local home = home_of(ch)
	if home ~= harbor_id and next(group) == nil then
		channels[ch] = nil
		skynet.send(home_address(home), "lua", "USUBR", ch)
	end
end

function command.USUB(source, ch)
	leave(ch, source)
end

local function new_package_id()
	local id = last_package
	repeat
		id = id % 0x7fffffff + 1
	until packages[id] == nil
	last_package = id
	return id
end

-- gives pkg to this node's subscribers of ch (frees it if there are none)
local function fan_out(ch, publisher, pkg)
	local group = channels[ch]
	local n = 0
	for _ in pairs(group or {}) do
		n = n + 1
	end
	if n == 0 then
		mc.free(pkg)
		return
	end
	mc.bind(pkg, n)
	local id = new_package_id()
	packages[id] = pkg
	local header = mc.header(pkg, ch, publisher)
	local self = skynet.self()
	for subscriber in pairs(group) do
		if not skynet.redirect(subscriber, self, "multicast", id, header) then
			leave(ch, subscriber) -- it is gone
			if mc.release(pkg) then
				packages[id] = nil
			end
		end
	end
end

-- at the home: one copy of the bytes to every enrolled node, then ours
local function publish(ch, publisher, pkg, bytes)
	local nodes = members[ch]
	if nodes then
		bytes = bytes or mc.content(pkg)
		for _, address in pairs(nodes) do
			skynet.send(address, "lua", "RFAN", ch, publisher, bytes)
		end
	end
	fan_out(ch, publisher, pkg)
end

function command.PUB(source, ch, pkg)
	local home = home_of(ch)
	if home == harbor_id then
		publish(ch, source, pkg)
		return true
	end
	local ok, address = pcall(home_address, home)
	local bytes = mc.content(pkg)
	mc.free(pkg)
	assert(ok, address)
	skynet.send(address, "lua", "RPUB", ch, source, bytes)
	return true
end

-- from the other nodes' multicastd

local function remote_harbor(source)
	local harbor = skynet.harbor(source)
	assert(harbor ~= harbor_id, "a node command from this node")
	return harbor
end

local function assert_home(ch)
	assert(home_of(ch) == harbor_id, "not a channel of this node")
end

-- a node enrols for ch; false: there is no such channel
function command.SUBR(source, ch)
	local harbor = remote_harbor(source)
	assert_home(ch)
	if channels[ch] == nil then
		return false
	end
	local nodes = members[ch] or {}
	members[ch] = nodes
	nodes[harbor] = source
	return true
end

function command.USUBR(source, ch)
	local harbor = remote_harbor(source)
	assert_home(ch)
	local nodes = members[ch]
	if nodes then
		nodes[harbor] = nil
		if next(nodes) == nil then
			members[ch] = nil
		end
	end
end

function command.RPUB(source, ch, publisher, bytes)
	remote_harbor(source)
	assert_home(ch)
	publish(ch, publisher, mc.copy(bytes), bytes)
end

function command.RFAN(source, ch, publisher, bytes)
	assert(skynet.harbor(source) == home_of(ch), "RFAN not from the channel's home")
	if channels[ch] and next(channels[ch]) then
		fan_out(ch, publisher, mc.copy(bytes))
	end
end

function command.DELR(source, ch)
	assert(skynet.harbor(source) == home_of(ch), "DELR not from the channel's home")
	channels[ch] = nil
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
	if harbor_id ~= 0 then
		datacenter.set("multicast", harbor_id, skynet.self())
	end
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
