-- skynet.multicast: publish/subscribe channels served by multicastd.
--   local mc = require "skynet.multicast"
--   local ch = mc.new { channel = id (nil: a new channel), dispatch =
--                       function(ch, source, ...) end, pack =, unpack = }
--   ch:subscribe()  ch:publish(...)  ch:unsubscribe()  ch:delete()
-- A message is packed once; every subscriber on this node reads the same
-- buffer (skynet.multicast.core counts the readers and frees it after the
-- last).  In harbor mode multicastd carries channels across the nodes.
local skynet = require "skynet"
local mc = require "skynet.multicast.core"

local multicast = {}
local multicastd
local subscribed = {} -- channel id -> channel object

local function service()
	if multicastd == nil then
		multicastd = skynet.uniqueservice "multicastd"
	end
	return multicastd
end

local chan = {}
local chan_meta = {
	__index = chan,
	__gc = function(self)
		self:unsubscribe()
	end,
	__tostring = function(self)
		return string.format("[Multicast:%x]", self.channel)
	end,
}

function multicast.new(conf)
	local self = {}
	conf = conf or self
	self.channel = conf.channel or skynet.call(service(), "lua", "NEW")
	self.__pack = conf.pack or skynet.pack
	self.__unpack = conf.unpack or skynet.unpack
	self.__dispatch = conf.dispatch
	return setmetatable(self, chan_meta)
end

function chan:delete()
	local c = assert(self.channel, "channel deleted")
	skynet.send(service(), "lua", "DEL", c)
	self.channel = nil
	self.__subscribe = nil
end

function chan:publish(...)
	local c = assert(self.channel, "channel deleted")
	local pkg = mc.pack(self.__pack(...))
	skynet.call(service(), "lua", "PUB", c, pkg)
end

function chan:subscribe()
	local c = assert(self.channel, "channel deleted")
	if self.__subscribe then
		return
	end
	skynet.call(service(), "lua", "SUB", c)
	self.__subscribe = true
	subscribed[c] = self
end

function chan:unsubscribe()
	if not self.__subscribe then
		return
	end
	local c = assert(self.channel)
	skynet.send(service(), "lua", "USUB", c)
	self.__subscribe = nil
	subscribed[c] = nil
end

-- this copy's reference is dropped; the last reader tells multicastd
local function done(pkg, pkgid)
	if mc.release(pkg) then
		skynet.send(multicastd, "lua", "DONE", pkgid)
	end
end

local function deliver(self, pkg, pkgid, publisher, msg, sz)
	if self.__unpack == skynet.unpack then
		-- the values are copied out: the buffer can go before the handler runs
		local args = table.pack(pcall(skynet.unpack, msg, sz))
		done(pkg, pkgid)
		assert(args[1], args[2])
		return self.__dispatch(self, publisher, table.unpack(args, 2, args.n))
	end
	local ok, err = pcall(self.__dispatch, self, publisher, self.__unpack(msg, sz))
	done(pkg, pkgid)
	assert(ok, err)
end

-- session: the package id; source: multicastd
local function dispatch_multicast(pkgid, source, pkg, channel, publisher, msg, sz)
	skynet.ignoreret()
	if source ~= multicastd then
		skynet.error(string.format("multicast message from %s ignored: not multicastd", skynet.address(source)))
		return
	end
	local self = subscribed[channel]
	if self and self.__subscribe and self.__dispatch then
		return deliver(self, pkg, pkgid, publisher, msg, sz)
	end
	done(pkg, pkgid) -- unsubscribed while the message was on its way
end

skynet.register_protocol {
	name = "multicast",
	id = skynet.PTYPE_MULTICAST,
	unpack = mc.unpack,
	dispatch = dispatch_multicast,
}

skynet.init(service)

return multicast
