-- http.httpc: an HTTP/1.1 client, one connection per request.
--   httpc.request(method, host, url [, recvheader, header, content]) -> code, body
--   httpc.get(host, url [, recvheader, header, content])
--   httpc.head(host, url [, recvheader, header, content]) -> code
--   httpc.post(host, url, form [, recvheader])   form-encoded table
--   httpc.request_stream(...) -> a stream (see http.internal)
--   httpc.dns([server, port])  resolve names with skynet.dns from now on
--   httpc.timeout              1/100 s for a whole request (nil: none)
-- host is "[http://|https://]name[:port]"; an https host needs ltls.c.
local skynet = require "skynet"
local sockethelper = require "http.sockethelper"
local internal = require "http.internal"
local dns = require "skynet.dns"

local httpc = {}

local async_dns

function httpc.dns(server, port)
	async_dns = true
	dns.server(server, port)
end

local default_port = { http = 80, https = 443 }

-- host part -> name or address, port (or nil), "ipv4" | "ipv6" | "hostname"
local function split_host(host)
	local v6, port = host:match("^%[([%x:.]+)%]:?(%d*)$")
	if v6 then
		return v6, tonumber(port), "ipv6"
	end
	if host:find(":.*:") then
		error(string.format("Invalid host: bare IPv6 address '%s', use '[%s]' instead", host, host))
	end
	local name
	name, port = host:match("^([^:]+):?(%d*)$")
	if not name then
		error("Invalid host: " .. host)
	end
	local kind = name:match("^%d+%.%d+%.%d+%.%d+$") and "ipv4" or "hostname"
	return name, tonumber(port), kind
end

local function parse_target(target)
	local protocol, rest = target:match("^(%a+)://(.*)$")
	protocol = protocol and protocol:lower() or "http"
	rest = rest or target
	if not default_port[protocol] then
		error("Invalid protocol: " .. protocol)
	end
	local name, port, kind = split_host(rest)
	return protocol, name, port or default_port[protocol], kind, rest
end

local client_ctx

local function interface_for(protocol, fd, servername)
	local itf
	if protocol == "http" then
		itf = {
			read = sockethelper.readfunc(fd),
			write = sockethelper.writefunc(fd),
			readall = function()
				return sockethelper.readall(fd)
			end,
		}
	else
		local tls = require "http.tlshelper"
		client_ctx = client_ctx or tls.newctx()
		local conn = tls.newtls("client", client_ctx, servername)
		itf = {
			init = tls.init_requestfunc(fd, conn),
			close = tls.closefunc(conn),
			read = tls.readfunc(fd, conn),
			write = tls.writefunc(fd, conn),
			readall = tls.readallfunc(fd, conn),
		}
	end
	itf.read_some = function()
		local ok, data = pcall(itf.read)
		if ok then
			return data
		end
	end
	return itf
end

local function connect(target, timeout)
	local protocol, name, port, kind, hostheader = parse_target(target)
	local address = name
	if kind == "hostname" and async_dns then
		local ip, err = dns.resolve(name)
		if not ip then
			error(string.format("%s dns resolve failed msg:%s", name, err))
		end
		address = ip
	end
	local fd = sockethelper.connect(address, port, timeout)
	local servername = kind == "hostname" and name or nil
	local itf = interface_for(protocol, fd, servername)
	if timeout then
		skynet.timeout(timeout, function()
			if not itf.finish then
				sockethelper.shutdown(fd) -- the blocked read fails
			end
		end)
	end
	if itf.init then
		local ok, err = pcall(itf.init, servername)
		if not ok then
			sockethelper.close(fd)
			itf.close()
			error(err)
		end
	end
	return fd, itf, hostheader
end

local function close_interface(itf, fd)
	itf.finish = true
	sockethelper.close(fd)
	if itf.close then
		itf.close()
		itf.close = nil
	end
end

function httpc.request(method, host, url, recvheader, header, content)
	local fd, itf, hostheader = connect(host, httpc.timeout)
	local ok, code, body, resp_header = pcall(internal.request, itf, method, hostheader, url, recvheader, header, content)
	if ok then
		ok, body = pcall(internal.response, itf, code, body, resp_header)
	end
	close_interface(itf, fd)
	if not ok then
		error(body or code)
	end
	return code, body
end

function httpc.head(host, url, recvheader, header, content)
	local fd, itf, hostheader = connect(host, httpc.timeout)
	local ok, code = pcall(internal.request, itf, "HEAD", hostheader, url, recvheader, header, content)
	close_interface(itf, fd)
	if not ok then
		error(code)
	end
	return code
end

-- the response header is read before this returns; the body is read as
-- the stream is called.  httpc.timeout covers the connection and header.
function httpc.request_stream(method, host, url, recvheader, header, content)
	local fd, itf, hostheader = connect(host, httpc.timeout)
	local ok, code, pending, resp_header = pcall(internal.request, itf, method, hostheader, url, recvheader, header, content)
	itf.finish = true
	if not ok then
		close_interface(itf, fd)
		error(code)
	end
	local okstream, stream = pcall(internal.response_stream, itf, code, pending, resp_header)
	if not okstream then
		close_interface(itf, fd)
		error(stream)
	end
	stream._onclose = function()
		close_interface(itf, fd)
	end
	return stream
end

function httpc.get(...)
	return httpc.request("GET", ...)
end

local function escape(s)
	return (tostring(s):gsub("[^%w_]", function(ch)
		return string.format("%%%02X", ch:byte())
	end))
end

function httpc.post(host, url, form, recvheader)
	local header = { ["content-type"] = "application/x-www-form-urlencoded" }
	local fields = {}
	for k, v in pairs(form) do
		fields[#fields + 1] = escape(k) .. "=" .. escape(v)
	end
	return httpc.request("POST", host, url, recvheader, header, table.concat(fields, "&"))
end

return httpc
