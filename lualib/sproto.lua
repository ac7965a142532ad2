-- sproto: schema objects (typed encode/decode, protocols) and an RPC host
-- that frames requests and responses with a package header type.
local core = require "sproto.core"

local sproto = {}
local host = {}

local owner_mt = { __index = sproto }   -- releases its C schema when collected
local borrower_mt = { __index = sproto } -- shares a schema owned elsewhere (sharenew)
local host_mt = { __index = host }

function owner_mt:__gc()
	core.deleteproto(self.__cobj)
end

local function wrap(cobj, mt)
	return setmetatable({
		__cobj = cobj,
		__tcache = {}, -- type name -> type
		__pcache = {}, -- protocol name and tag -> { name, tag, request, response }
	}, mt)
end

function sproto.new(bin)
	local cobj = core.newproto(bin)
	if not cobj then
		error "invalid sproto schema binary"
	end
	return wrap(cobj, owner_mt)
end

function sproto.sharenew(cobj)
	return wrap(cobj, borrower_mt)
end

function sproto.parse(text)
	return sproto.new(require("sprotoparser").parse(text))
end

local function querytype(self, typename)
	local t = self.__tcache[typename]
	if not t then
		t = core.querytype(self.__cobj, typename)
		if not t then
			error("type not found: " .. tostring(typename))
		end
		self.__tcache[typename] = t
	end
	return t
end

function sproto:exist_type(typename)
	return self.__tcache[typename] ~= nil or core.querytype(self.__cobj, typename) ~= nil
end

local function queryproto(self, key)
	local p = self.__pcache[key]
	if not p then
		local other, request, response = core.protocol(self.__cobj, key)
		if not other then
			error(tostring(key) .. " not found")
		end
		local name, tag = key, other
		if type(key) == "number" then
			name, tag = other, key
		end
		p = { name = name, tag = tag, request = request, response = response }
		self.__pcache[name] = p
		self.__pcache[tag] = p
	end
	return p
end
sproto.queryproto = queryproto

function sproto:exist_proto(key)
	return self.__pcache[key] ~= nil or core.protocol(self.__cobj, key) ~= nil
end

function sproto:encode(typename, tbl)
	return core.encode(querytype(self, typename), tbl)
end

function sproto:decode(typename, ...)
	return core.decode(querytype(self, typename), ...)
end

function sproto:pencode(typename, tbl)
	return core.pack(core.encode(querytype(self, typename), tbl))
end

function sproto:pdecode(typename, ...)
	return core.decode(querytype(self, typename), core.unpack(...))
end

function sproto:request_encode(protoname, tbl)
	local p = queryproto(self, protoname)
	return p.request and core.encode(p.request, tbl) or "", p.tag
end

function sproto:response_encode(protoname, tbl)
	local p = queryproto(self, protoname)
	return p.response and core.encode(p.response, tbl) or ""
end

function sproto:request_decode(protoname, ...)
	local p = queryproto(self, protoname)
	if p.request then
		return (core.decode(p.request, ...)), p.name
	end
	return nil, p.name
end

function sproto:response_decode(protoname, ...)
	local p = queryproto(self, protoname)
	if p.response then
		return (core.decode(p.response, ...))
	end
end

sproto.pack = core.pack
sproto.unpack = core.unpack

-- default(typename) or default(protoname, "REQUEST" | "RESPONSE")
function sproto:default(name, what)
	if what == nil then
		return core.default(querytype(self, name))
	end
	local p = queryproto(self, name)
	local t
	if what == "REQUEST" then
		t = p.request
	elseif what == "RESPONSE" then
		t = p.response
	else
		error "Invalid type"
	end
	if t then
		return core.default(t)
	end
end

-- RPC: a message is pack(header .. content); the header (type `packagename`)
-- carries type (the protocol tag, requests only), session and ud.

function sproto:host(packagename)
	packagename = packagename or "package"
	local package = core.querytype(self.__cobj, packagename)
	if not package then
		error("type " .. packagename .. " not found")
	end
	return setmetatable({
		__proto = self,
		__package = package,
		__session = {}, -- session -> response type (true: no content) of our requests
	}, host_mt)
end

local function encode_message(package, header, content_type, content)
	local bin = core.encode(package, header)
	if content_type then
		bin = bin .. core.encode(content_type, content)
	end
	return core.pack(bin)
end

local function responder(self, response, session)
	return function(args, ud)
		return encode_message(self.__package, { session = session, ud = ud }, response, args)
	end
end

-- returns "REQUEST", name, args, responder (nil without session), ud
--      or "RESPONSE", session, args, ud
function host:dispatch(...)
	local bin = core.unpack(...)
	local header, size = core.decode(self.__package, bin)
	local content = bin:sub(size + 1)
	if header.type then
		local p = queryproto(self.__proto, header.type)
		local args = p.request and (core.decode(p.request, content))
		local respond = header.session and responder(self, p.response, header.session)
		return "REQUEST", p.name, args, respond, header.ud
	end
	local session = header.session
	if not session then
		error "session not found"
	end
	local response = self.__session[session]
	if not response then
		error "Unknown session"
	end
	self.__session[session] = nil
	if response == true then
		return "RESPONSE", session, nil, header.ud
	end
	return "RESPONSE", session, (core.decode(response, content)), header.ud
end

-- a function(name, args, session, ud) that encodes requests of sp;
-- with a session, dispatch accepts the response later
function host:attach(sp)
	return function(name, args, session, ud)
		local p = queryproto(sp, name)
		if session then
			self.__session[session] = p.response or true
		end
		return encode_message(self.__package, { type = p.tag, session = session, ud = ud }, p.request, args)
	end
end

return sproto
