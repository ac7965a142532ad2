-- http.tlshelper: TLS over a skynet.socket id, on the ltls.c engine.  The
-- functions return readers and writers with the contract of
-- http.sockethelper's, carrying plaintext, so http.httpd, http.httpc and
-- http.websocket work the same over TLS.
local sockethelper = require "http.sockethelper"
local c = require "ltls.c"

local tlshelper = {}

function tlshelper.newctx()
	return c.newctx()
end

-- newtls("client"|"server", ctx [, hostname])
function tlshelper.newtls(method, ctx, hostname)
	return c.newtls(method, ctx, hostname)
end

-- the client's handshake: init([hostname]) returns once it is complete
function tlshelper.init_requestfunc(fd, tls)
	local read = sockethelper.readfunc(fd)
	local write = sockethelper.writefunc(fd)
	return function(hostname)
		if hostname then
			tls:set_ext_host_name(hostname)
		end
		local out = tls:handshake()
		while true do
			if out then
				write(out)
			end
			if tls:finished() then
				return
			end
			out = tls:handshake(read())
		end
	end
end

-- the server's handshake: init() returns once it is complete
function tlshelper.init_responsefunc(fd, tls)
	local read = sockethelper.readfunc(fd)
	local write = sockethelper.writefunc(fd)
	return function()
		while not tls:finished() do
			local out = tls:handshake(read())
			if out then
				write(out)
			end
		end
		local rest = tls:write() -- what the last step left (session tickets)
		if rest ~= "" then
			write(rest)
		end
	end
end

function tlshelper.closefunc(tls)
	return function()
		tls:close()
	end
end

-- read(sz): sz bytes of plaintext; read(): what is there, at least one
-- byte.  Raises sockethelper.socket_error when the connection ends.
function tlshelper.readfunc(fd, tls)
	local read = sockethelper.readfunc(fd)
	local plain -- nil until the first read, made after the handshake
	local function fill()
		local more = ""
		while more == "" do
			more = tls:read(read())
		end
		plain = plain .. more
	end
	return function(sz)
		if plain == nil then
			plain = tls:read() -- application data that came with the handshake
		end
		if sz == nil then
			if plain == "" then
				fill()
			end
			local out = plain
			plain = ""
			return out
		end
		while #plain < sz do
			fill()
		end
		local out = plain:sub(1, sz)
		plain = plain:sub(sz + 1)
		return out
	end
end

function tlshelper.writefunc(fd, tls)
	local write = sockethelper.writefunc(fd)
	return function(s)
		return write(tls:write(s))
	end
end

-- reads until the peer closes; returns the plaintext
function tlshelper.readallfunc(fd, tls)
	return function()
		return tls:read(sockethelper.readall(fd))
	end
end

return tlshelper
