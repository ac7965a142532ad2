-- http.websocket: RFC 6455 over skynet.socket, server and client, ws://
-- and wss://.
--   websocket.accept(id, handle [, protocol, addr, options]) -> true | false, err
--       serves one connection until it closes.  protocol "ws" (default)
--       or "wss" (certfile/keyfile from the config); options.upgrade =
--       { header =, method =, url = } takes over a request already read by
--       http.httpd; options.max_frame_size overrides MAX_FRAME_SIZE.
--       handle.connect(id), handshake(id, header, url), message(id, data,
--       "text"|"binary"), ping(id), pong(id), close(id, code, reason),
--       error(id, err), warning(ws, size): each optional.
--   websocket.connect(url [, header, timeout]) -> id      (a client)
--   websocket.read(id) -> message | false, reason, code   (a client)
--   websocket.write(id, data [, "text"|"binary", masking_key])
--   websocket.ping(id), close(id [, code, reason]), is_close(id),
--   addrinfo(id), real_ip(id)
-- Frames from a client must be masked and a client masks every frame it
-- sends; a server never masks.  A protocol violation closes the connection
-- with the status code RFC 6455 7.4.1 gives it (1002, 1007, 1009).
local skynet = require "skynet"
local socket = require "skynet.socket"
local crypt = require "skynet.crypt"
local internal = require "http.internal"
local httpd = require "http.httpd"
local sockethelper = require "http.sockethelper"

local socket_error = sockethelper.socket_error

local M = {}

M.MAX_FRAME_SIZE = 256 * 1024 -- largest frame and message a server accepts

local GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

local OPCODE = { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 }
local OPNAME = { [0] = "continuation", "text", "binary", [8] = "close", [9] = "ping", [10] = "pong" }

local ws_pool = {} -- socket id -> connection

---------------------------------------------------------------- errors

-- a violation by the peer: the connection closes with `code`
local protocol_error = {}
protocol_error.__index = protocol_error
protocol_error.__tostring = function(e)
	return string.format("websocket protocol error %d: %s", e.code, e.reason)
end

local function violation(code, reason)
	error(setmetatable({ code = code, reason = reason }, protocol_error), 0)
end

local function is_violation(err)
	return getmetatable(err) == protocol_error
end

---------------------------------------------------------------- frames

local function mask(data, key)
	return crypt.xor_str(data, key)
end

local function new_masking_key()
	return crypt.randomkey():sub(1, 4)
end

local function encode_frame(ws, op, payload, masking_key)
	local n = #payload
	local b1 = 0x80 | OPCODE[op]
	local m = ws.mode == "client" and 0x80 or 0
	local head
	if n < 126 then
		head = string.pack("BB", b1, m | n)
	elseif n <= 0xffff then
		head = string.pack(">BBI2", b1, m | 126, n)
	else
		head = string.pack(">BBI8", b1, m | 127, n)
	end
	if m == 0 then
		return head .. payload
	end
	local key
	if masking_key then
		key = type(masking_key) == "number" and string.pack(">I4", masking_key) or masking_key
		assert(#key == 4, "masking key must be 4 bytes")
	else
		key = new_masking_key()
	end
	return head .. key .. mask(payload, key)
end

local function send_frame(ws, op, payload, masking_key)
	ws.write(encode_frame(ws, op, payload or "", masking_key))
end

-- one frame: fin, opcode name, payload (unmasked)
local function read_frame(ws)
	local b1, b2 = string.unpack("BB", ws.read(2))
	local fin = b1 & 0x80 ~= 0
	if b1 & 0x70 ~= 0 then
		violation(1002, "reserved bits set")
	end
	local op = OPNAME[b1 & 0x0f]
	if not op then
		violation(1002, "unknown opcode " .. (b1 & 0x0f))
	end
	local masked = b2 & 0x80 ~= 0
	if masked ~= (ws.mode == "server") then
		violation(1002, masked and "masked frame from a server" or "unmasked frame from a client")
	end
	local len = b2 & 0x7f
	if len == 126 then
		len = string.unpack(">I2", ws.read(2))
	elseif len == 127 then
		len = string.unpack(">i8", ws.read(8))
		if len < 0 then
			violation(1002, "frame length over 2^63")
		end
	end
	if OPCODE[op] >= 8 and (len > 125 or not fin) then
		violation(1002, "control frame fragmented or over 125 bytes")
	end
	if ws.max_frame_size and len > ws.max_frame_size then
		violation(1009, "frame of " .. len .. " bytes")
	end
	local key = masked and ws.read(4)
	local payload = len > 0 and ws.read(len) or ""
	if key then
		payload = mask(payload, key)
	end
	return fin, op, payload
end

local function valid_close_code(code)
	return (code >= 1000 and code <= 1003) or (code >= 1007 and code <= 1014)
		or (code >= 3000 and code <= 4999)
end

local function decode_close(payload)
	if #payload == 0 then
		return nil, ""
	elseif #payload == 1 then
		violation(1002, "close payload of one byte")
	end
	local code = string.unpack(">I2", payload)
	local reason = payload:sub(3)
	if not valid_close_code(code) then
		violation(1002, "close code " .. code)
	end
	if not utf8.len(reason) then
		violation(1007, "close reason is not UTF-8")
	end
	return code, reason
end

-- Reads frames until something for the caller: "message", data, type;
-- "ping", payload; "pong", payload; "close", code, reason.  Pings are
-- answered here; a close is answered and the connection shut.
local function next_event(ws)
	while true do
		local fin, op, payload = read_frame(ws)
		if op == "ping" then
			send_frame(ws, "pong", payload)
			return "ping", payload
		elseif op == "pong" then
			return "pong", payload
		elseif op == "close" then
			local code, reason = decode_close(payload)
			if not ws.close_sent then
				ws.close_sent = true
				send_frame(ws, "close", code and string.pack(">I2", code) or "")
			end
			return "close", code, reason
		end
		local parts = ws.parts
		if op == "continuation" then
			if not parts then
				violation(1002, "continuation without a message")
			end
		else
			if parts then
				violation(1002, "new message inside a fragmented one")
			end
			parts = { type = op, size = 0 }
			ws.parts = parts
		end
		parts[#parts + 1] = payload
		parts.size = parts.size + #payload
		if ws.max_frame_size and parts.size > ws.max_frame_size then
			violation(1009, "message of over " .. ws.max_frame_size .. " bytes")
		end
		if fin then
			ws.parts = nil
			local data = table.concat(parts)
			if parts.type == "text" and not utf8.len(data) then
				violation(1007, "text message is not UTF-8")
			end
			return "message", data, parts.type
		end
	end
end

---------------------------------------------------------------- connections

-- hands `bytes` out before what read returns next
local function unread(ws, bytes)
	if bytes == "" then
		return
	end
	local read = ws.read
	ws.read = function(sz)
		if sz == nil or sz == #bytes then
			ws.read = read
			return bytes
		elseif sz < #bytes then
			local out = bytes:sub(1, sz)
			bytes = bytes:sub(sz + 1)
			return out
		end
		ws.read = read
		return bytes .. read(sz - #bytes)
	end
end

local server_ctx, client_ctx

local function tls_context(side)
	local tls = require "http.tlshelper"
	if side == "server" then
		if not server_ctx then
			server_ctx = tls.newctx()
			server_ctx:set_cert(skynet.getenv "certfile" or "./server-cert.pem",
				skynet.getenv "keyfile" or "./server-key.pem")
		end
		return tls, server_ctx
	end
	client_ctx = client_ctx or tls.newctx()
	return tls, client_ctx
end

-- a connection object over socket id; for wss the TLS handshake is done
local function new_ws(id, mode, protocol, hostname)
	local ws = { id = id, mode = mode }
	if protocol == "ws" then
		ws.read = sockethelper.readfunc(id)
		ws.write = sockethelper.writefunc(id)
		ws.close = function()
			socket.close(id)
		end
	elseif protocol == "wss" then
		local tls, ctx = tls_context(mode)
		local conn = tls.newtls(mode, ctx, hostname)
		ws.read = tls.readfunc(id, conn)
		ws.write = tls.writefunc(id, conn)
		ws.close = function()
			socket.close(id)
			conn:close()
		end
		local init = mode == "server" and tls.init_responsefunc(id, conn) or tls.init_requestfunc(id, conn)
		local ok, err = pcall(init, hostname)
		if not ok then
			ws.close()
			error(err, 0)
		end
	else
		error(string.format("invalid websocket protocol:%s", tostring(protocol)))
	end
	ws_pool[id] = ws
	return ws
end

local function drop(ws)
	if ws_pool[ws.id] == ws then
		ws_pool[ws.id] = nil
		ws.close()
	end
end

local function get(id)
	local ws = ws_pool[id]
	if not ws then
		error("websocket " .. tostring(id) .. " is closed", 2)
	end
	return ws
end

---------------------------------------------------------------- the server

local function has_token(value, token)
	if type(value) ~= "string" then
		return false
	end
	for t in value:gmatch("[^%s,]+") do
		if t:lower() == token then
			return true
		end
	end
	return false
end

-- checks the opening request; returns nil, header, url when it is good,
-- else the status code and a message to refuse it with
local function check_request(ws, upgrade)
	local header, method, url
	if upgrade then
		header, method, url = upgrade.header, upgrade.method, upgrade.url
	else
		local lines = {}
		local rest = internal.recvheader(ws.read, lines, "")
		if not rest then
			return 413
		end
		unread(ws, rest)
		local version
		method, url, version = (lines[1] or ""):match("^(%u+) (%S+) HTTP/(%d%.%d)$")
		if not method then
			return 400, "bad request line"
		end
		if version ~= "1.1" then
			return 505
		end
		header = internal.parseheader(lines, 2, {})
		if not header then
			return 400, "bad header"
		end
	end
	if method ~= "GET" then
		return 400, "need GET method"
	end
	if not has_token(header.upgrade, "websocket") then
		return 426, "Upgrade Required"
	end
	if not header.host then
		return 400, "host Required"
	end
	if not has_token(header.connection, "upgrade") then
		return 400, "Connection must Upgrade"
	end
	if header["sec-websocket-version"] ~= "13" then
		return 426, "Sec-WebSocket-Version must 13", { ["Sec-WebSocket-Version"] = "13" }
	end
	local key = header["sec-websocket-key"]
	local ok, raw = pcall(crypt.base64decode, type(key) == "string" and key or "")
	if not ok or #raw ~= 16 then
		return 400, "Sec-WebSocket-Key invalid"
	end
	ws.real_ip = header["x-real-ip"]
	local reply = {
		"HTTP/1.1 101 Switching Protocols\r\n",
		"Upgrade: websocket\r\n",
		"Connection: Upgrade\r\n",
		"Sec-WebSocket-Accept: ", crypt.base64encode(crypt.sha1(key .. GUID)), "\r\n",
	}
	if has_token(header["sec-websocket-protocol"], "chat") then
		reply[#reply + 1] = "Sec-WebSocket-Protocol: chat\r\n"
	end
	reply[#reply + 1] = "\r\n"
	ws.write(table.concat(reply))
	return nil, header, url
end

local function notify(ws, name, ...)
	local f = ws.handle and ws.handle[name]
	if f then
		f(ws.id, ...)
	end
end

local function serve(ws, options)
	notify(ws, "connect")
	local code, header, url = check_request(ws, options and options.upgrade)
	if code then
		local ok, err = httpd.write_response(ws.write, code, header, url)
		if not ok then
			error(err, 0)
		end
		notify(ws, "close")
		return
	end
	notify(ws, "handshake", header, url)
	while ws_pool[ws.id] == ws do
		local event, a, b = next_event(ws)
		if event == "message" then
			notify(ws, "message", a, b)
		elseif event == "ping" or event == "pong" then
			notify(ws, event)
		else
			drop(ws)
			notify(ws, "close", a, b)
			return
		end
	end
	notify(ws, "close") -- closed by websocket.close from a handler
end

-- ends a connection after a failure inside serve; returns accept's result
local function fail(ws, err)
	local closed_by_us = ws_pool[ws.id] ~= ws
	if is_violation(err) and not closed_by_us then
		pcall(send_frame, ws, "close", string.pack(">I2", err.code) .. err.reason:sub(1, 120))
	end
	drop(ws)
	if err == socket_error then
		if closed_by_us then
			notify(ws, "close")
		else
			notify(ws, "error", tostring(err))
		end
		return true
	end
	pcall(notify, ws, "error", tostring(err))
	return false, tostring(err)
end

function M.accept(id, handle, protocol, addr, options)
	if not (options and options.upgrade) then
		local ok, err = socket.start(id)
		if not ok then
			return false, err
		end
	end
	local okws, ws = pcall(new_ws, id, "server", protocol or "ws")
	if not okws then
		socket.close(id)
		return false, tostring(ws)
	end
	ws.handle = handle
	ws.addr = addr
	ws.max_frame_size = options and options.max_frame_size or M.MAX_FRAME_SIZE
	local on_warning = handle and handle.warning
	if on_warning then
		socket.warning(id, function(_, size)
			on_warning(ws, size)
		end)
	end
	local ok, err = xpcall(serve, function(e)
		if e == socket_error or is_violation(e) then
			return e
		end
		return debug.traceback(tostring(e), 2)
	end, ws, options)
	if ok then
		drop(ws)
		return true
	end
	return fail(ws, err)
end

---------------------------------------------------------------- the client

local function check_reply(code, header, key, pending)
	if code ~= 101 then
		error(string.format("websocket handshake error: code[%s] info:%s", code, pending))
	end
	if not has_token(header.upgrade, "websocket") then
		error("websocket handshake upgrade must websocket")
	end
	if not has_token(header.connection, "upgrade") then
		error("websocket handshake connection must upgrade")
	end
	if header["sec-websocket-accept"] ~= crypt.base64encode(crypt.sha1(key .. GUID)) then
		error("websocket handshake invalid Sec-WebSocket-Accept")
	end
end

local function open_handshake(ws, host, uri, header)
	local key = crypt.base64encode(crypt.randomkey() .. crypt.randomkey())
	local request = {
		["Upgrade"] = "websocket",
		["Connection"] = "Upgrade",
		["Sec-WebSocket-Version"] = "13",
		["Sec-WebSocket-Key"] = key,
	}
	for k, v in pairs(header or {}) do
		assert(request[k] == nil, k)
		request[k] = v
	end
	local recvheader = {}
	local code, pending = internal.request(ws, "GET", host, uri, recvheader, request)
	check_reply(code, recvheader, key, pending)
	unread(ws, pending)
end

function M.connect(url, header, timeout)
	local protocol, host, uri = string.match(url, "^(wss?)://([^/]+)(.*)$")
	if not protocol then
		error("invalid websocket url: " .. tostring(url))
	end
	local address, port = host:match("^%[([%x:.]+)%]:?(%d*)$")
	if not address then
		address, port = host:match("^([^:]+):?(%d*)$")
	end
	if not address then
		error("invalid websocket host: " .. host)
	end
	port = tonumber(port) or (protocol == "ws" and 80 or 443)
	local hostname = not address:match("^[%d.]+$") and not address:find(":", 1, true) and address or nil
	local id = sockethelper.connect(address, port, timeout)
	local ws = new_ws(id, "client", protocol, hostname)
	ws.addr = host
	local ok, err = pcall(open_handshake, ws, host, uri == "" and "/" or uri, header)
	if not ok then
		drop(ws)
		error(err, 0)
	end
	return id
end

-- a client's next message; false, reason, code once the server closed
function M.read(id)
	local ws = get(id)
	while true do
		local ok, event, a, b = pcall(next_event, ws)
		if not ok then
			if is_violation(event) then
				pcall(send_frame, ws, "close", string.pack(">I2", event.code))
			end
			drop(ws)
			if event == socket_error then
				return false, "socket closed"
			end
			error(event, 0)
		end
		if event == "message" then
			return a, b
		elseif event == "close" then
			drop(ws)
			return false, b, a
		end
	end
end

function M.write(id, data, fmt, masking_key)
	local ws = get(id)
	fmt = fmt or "text"
	if fmt ~= "text" and fmt ~= "binary" then
		error("websocket.write: format must be text or binary, not " .. tostring(fmt))
	end
	if type(data) ~= "string" then
		error("websocket.write: data must be a string")
	end
	send_frame(ws, fmt, data, masking_key)
end

function M.ping(id, payload)
	send_frame(get(id), "ping", payload)
end

function M.addrinfo(id)
	return get(id).addr
end

function M.real_ip(id)
	return get(id).real_ip
end

function M.is_close(id)
	return ws_pool[id] == nil
end

-- sends a close frame (with code and reason when given) and closes
function M.close(id, code, reason)
	local ws = ws_pool[id]
	if not ws then
		return
	end
	local payload = ""
	if code then
		payload = string.pack(">I2", code) .. (reason or "")
	end
	local ok, err = true, nil
	if not ws.close_sent then
		ws.close_sent = true
		ok, err = pcall(send_frame, ws, "close", payload)
	end
	drop(ws)
	if not ok and err ~= socket_error then
		skynet.error("websocket close: " .. tostring(err))
	end
end

return M
