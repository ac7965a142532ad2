-- skynet.dns: a resolver client (RFC 1035) over skynet.socket, so a lookup parks the
-- calling coroutine instead of a worker thread.
--   dns.server([ip [, port]])   the server to ask (default: the first
--                               nameserver of dns.DEFAULT_RESOLV_CONF)
--   dns.resolve(name [, ipv6])  -> first address, list of addresses;
--                               nil, why for a bad name; raises an error
--                               when the server fails or does not answer
--   dns.flush()                 forgets the cache and the hosts file
--   dns.timeout                 1/100 s to wait for an answer (3000)
-- Names in dns.DEFAULT_HOSTS win; answers are cached for their TTL.  A
-- truncated UDP answer is asked again over TCP (RFC 1035 4.2.2).
local skynet = require "skynet"
local socket = require "skynet.socket"

local dns = {
	DEFAULT_HOSTS = "/etc/hosts",
	DEFAULT_RESOLV_CONF = "/etc/resolv.conf",
	timeout = 3000,
}

local QTYPE_A, QTYPE_AAAA, QCLASS_IN = 1, 28, 1
local MAX_NAME, MAX_LABEL = 253, 63
local RESEND_EVERY = 100 -- a lost UDP query is sent again after 1 s

local server = { address = nil, port = 53, fd = nil }
local cache = { [QTYPE_A] = {}, [QTYPE_AAAA] = {} }
local hosts            -- name -> { ipv4 = {...}, ipv6 = {...} }, read once
local pending = {}     -- transaction id -> waiting request

---------------------------------------------------------------- names

local function name_kind(name)
	if name:match("^%d+%.%d+%.%d+%.%d+$") then
		return "ipv4"
	elseif name:find(":", 1, true) and name:match("^[%x:.]+$") then
		return "ipv6"
	end
	return "hostname"
end

local function valid_name(name)
	if #name == 0 or #name > MAX_NAME then
		return false
	end
	for label in (name:gsub("%.$", "") .. "."):gmatch("(.-)%.") do
		if #label == 0 or #label > MAX_LABEL or not label:match("^[%w_%-]+$") then
			return false
		end
	end
	return true
end

local function read_hosts()
	local t = {}
	local f = io.open(dns.DEFAULT_HOSTS)
	if not f then
		return t
	end
	for line in f:lines() do
		line = line:gsub("#.*", "")
		local ip, names = line:match("^%s*(%S+)%s+(.+)$")
		if ip then
			local family = name_kind(ip)
			if family ~= "hostname" then
				for name in names:gmatch("%S+") do
					name = name:lower()
					local entry = t[name] or {}
					t[name] = entry
					entry[family] = entry[family] or {}
					table.insert(entry[family], ip)
				end
			end
		end
	end
	f:close()
	return t
end

local function first_nameserver()
	local f = io.open(dns.DEFAULT_RESOLV_CONF)
	if not f then
		return nil
	end
	for line in f:lines() do
		local ip = line:match("^%s*nameserver%s+([^%s%%]+)")
		if ip then
			f:close()
			return ip
		end
	end
	f:close()
end

---------------------------------------------------------------- messages

local function encode_query(tid, name, qtype)
	local out = { string.pack(">I2I2I2I2I2I2", tid, 0x0100, 1, 0, 0, 0) } -- RD set
	for label in (name:gsub("%.$", "") .. "."):gmatch("(.-)%.") do
		out[#out + 1] = string.pack("s1", label)
	end
	out[#out + 1] = string.pack(">BI2I2", 0, qtype, QCLASS_IN)
	return table.concat(out)
end

-- a (possibly compressed) name at pos: the name, the position after it
local function decode_name(msg, pos)
	local labels, after = {}, nil
	for _ = 1, 128 do -- bounds pointer loops
		local len = msg:byte(pos)
		if not len then
			error("name runs past the message")
		elseif len == 0 then
			return table.concat(labels, "."), after or pos + 1
		elseif len >= 0xc0 then
			local ptr = string.unpack(">I2", msg, pos) & 0x3fff
			after = after or pos + 2
			pos = ptr + 1
		elseif len <= MAX_LABEL then
			if pos + len > #msg then
				error("label runs past the message")
			end
			labels[#labels + 1] = msg:sub(pos + 1, pos + len)
			pos = pos + len + 1
		else
			error("bad label length")
		end
	end
	error("name pointers loop")
end

local function format_address(rtype, rdata)
	if rtype == QTYPE_A and #rdata == 4 then
		return string.format("%d.%d.%d.%d", rdata:byte(1, 4))
	elseif rtype == QTYPE_AAAA and #rdata == 16 then
		return string.format("%x:%x:%x:%x:%x:%x:%x:%x", string.unpack(">I2I2I2I2I2I2I2I2", rdata))
	end
	error("bad address record")
end

local rcode_text = {
	[1] = "format error", [2] = "server failure", [3] = "no such name",
	[4] = "not implemented", [5] = "refused",
}

-- a response -> { tid, truncated, rcode, name, qtype, answers, ttl }
local function decode_response(msg)
	local tid, flags, qd, an = string.unpack(">I2I2I2I2", msg)
	if flags & 0x8000 == 0 or qd ~= 1 then
		error("not an answer to one question")
	end
	local r = { tid = tid, truncated = flags & 0x0200 ~= 0, rcode = flags & 0xf, answers = {} }
	local pos
	r.name, pos = decode_name(msg, 13)
	r.qtype, pos = string.unpack(">I2", msg, pos)
	pos = pos + 2
	for _ = 1, an do
		local rtype, rclass, ttl, rdata
		_, pos = decode_name(msg, pos)
		rtype, rclass, ttl, rdata, pos = string.unpack(">I2I2I4s2", msg, pos)
		-- the addresses of a CNAME's target follow it; other records are skipped
		if rclass == QCLASS_IN and rtype == r.qtype then
			table.insert(r.answers, format_address(rtype, rdata))
			r.ttl = math.min(r.ttl or ttl, ttl)
		end
	end
	r.name = r.name:lower()
	return r
end

---------------------------------------------------------------- transport

local function finish(req, answers, err)
	if pending[req.tid] == req then
		pending[req.tid] = nil
		req.answers, req.err = answers, err
		skynet.wakeup(req.co)
	end
end

local function accept_response(r, req)
	if r.name ~= req.name or r.qtype ~= req.qtype then
		return -- not the answer to this question: keep waiting
	end
	if r.rcode ~= 0 then
		return finish(req, nil, rcode_text[r.rcode] or ("rcode " .. r.rcode))
	end
	if #r.answers == 0 then
		return finish(req, nil, "no answer")
	end
	if r.ttl > 0 then
		cache[req.qtype][req.name] = { answers = r.answers, expire = skynet.now() + r.ttl * 100 }
	end
	finish(req, r.answers)
end

-- the answer was too big for UDP: ask again over TCP
local function ask_over_tcp(req)
	local fd = socket.open(server.address, server.port)
	if not fd then
		return finish(req, nil, "truncated answer and no TCP connection")
	end
	req.tcp = fd
	local query = encode_query(req.tid, req.name, req.qtype)
	socket.write(fd, string.pack(">s2", query))
	local head = socket.read(fd, 2)
	local msg = head and socket.read(fd, string.unpack(">I2", head))
	socket.close(fd)
	req.tcp = nil
	if not msg then
		return finish(req, nil, "TCP answer cut short")
	end
	local ok, r = pcall(decode_response, msg)
	if ok and r.tid == req.tid then
		accept_response(r, req)
	else
		finish(req, nil, "malformed TCP answer")
	end
end

local function on_datagram(msg)
	local ok, r = pcall(decode_response, msg)
	if not ok then
		skynet.error("Recv an invalid package when dns query: " .. tostring(r))
		return
	end
	local req = pending[r.tid]
	if not req or req.tcp then
		return -- late, duplicated or already retried over TCP
	end
	if r.truncated then
		req.tcp = true
		skynet.fork(ask_over_tcp, req)
	else
		accept_response(r, req)
	end
end

local function udp_socket()
	if server.fd then
		return server.fd
	end
	if not server.address then
		server.address = first_nameserver()
		if not server.address then
			error("no dns server: call dns.server first (nothing in " .. dns.DEFAULT_RESOLV_CONF .. ")")
		end
	end
	server.fd = socket.udp_dial(server.address, server.port, on_datagram)
	return server.fd
end

local function new_tid()
	for _ = 1, 100 do
		local tid = math.random(0, 0xffff)
		if not pending[tid] then
			return tid
		end
	end
	error("too many dns queries in flight")
end

local function ask(name, qtype)
	local fd = udp_socket()
	local req = { name = name, qtype = qtype, tid = new_tid(), co = coroutine.running() }
	pending[req.tid] = req
	local query = encode_query(req.tid, name, qtype)
	local deadline = skynet.now() + dns.timeout
	skynet.fork(function()
		-- resend while unanswered, give up at the deadline
		while pending[req.tid] == req do
			local left = deadline - skynet.now()
			if left <= 0 then
				if req.tcp and req.tcp ~= true then
					socket.shutdown(req.tcp)
				end
				skynet.error(string.format("DNS query %s timeout", name))
				return finish(req, nil, "timeout")
			end
			if not req.tcp then
				socket.write(fd, query)
			end
			skynet.sleep(math.min(left, RESEND_EVERY))
		end
	end)
	skynet.wait(req.co)
	if not req.answers then
		error(string.format("dns resolve %s failed: %s", name, req.err))
	end
	return req.answers[1], req.answers
end

---------------------------------------------------------------- the API

function dns.server(address, port)
	if server.fd then
		socket.close(server.fd)
		server.fd = nil
	end
	server.address = address
	server.port = port or 53
end

function dns.flush()
	cache = { [QTYPE_A] = {}, [QTYPE_AAAA] = {} }
	hosts = nil
end

function dns.resolve(name, ipv6)
	assert(type(name) == "string", "dns.resolve: name must be a string")
	name = name:lower()
	local kind = name_kind(name)
	if kind ~= "hostname" then
		if (kind == "ipv6") ~= (ipv6 and true or false) then
			return nil, "illegal ip address"
		end
		return name, { name }
	end
	if not valid_name(name) then
		return nil, "illegal name"
	end
	name = name:gsub("%.$", "")
	hosts = hosts or read_hosts()
	local entry = hosts[name]
	local listed = entry and entry[ipv6 and "ipv6" or "ipv4"]
	if listed then
		return listed[1], listed
	end
	local qtype = ipv6 and QTYPE_AAAA or QTYPE_A
	local hit = cache[qtype][name]
	if hit and hit.expire > skynet.now() then
		return hit.answers[1], hit.answers
	end
	return ask(name, qtype)
end

return dns
