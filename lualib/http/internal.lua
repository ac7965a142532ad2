-- http.internal: the HTTP/1.1 message format shared by http.httpd,
-- http.httpc and http.websocket.  `read` is a reader as made by
-- http.sockethelper (read(n) exactly n bytes, read() what is there); every
-- function here raises an error on malformed or oversized input.
local M = {}

M.HEADER_LIMIT = 8192    -- bytes of start line + header fields
local CHUNK_LINE_LIMIT = 128 -- bytes of a chunk-size line (with extensions)

-- Reads up to the blank line ending a header block.  `pending` holds bytes
-- already read.  Appends the block's lines to `lines` and returns the bytes
-- after the block; nil when the block exceeds HEADER_LIMIT.
function M.recvheader(read, lines, pending)
	if pending:sub(1, 2) == "\r\n" then -- an empty block (chunked trailers)
		return pending:sub(3)
	end
	local buf = pending
	local stop = buf:find("\r\n\r\n", 1, true)
	while not stop do
		if #buf > M.HEADER_LIMIT then
			return nil
		end
		local more = read()
		local from = math.max(1, #buf - 2)
		buf = buf .. more
		if buf:sub(1, 2) == "\r\n" then
			return buf:sub(3)
		end
		stop = buf:find("\r\n\r\n", from, true)
	end
	if stop > M.HEADER_LIMIT then
		return nil
	end
	for line in buf:sub(1, stop + 1):gmatch("(.-)\r\n") do
		lines[#lines + 1] = line
	end
	return buf:sub(stop + 4)
end

-- Adds header lines[from..] to `header`, names in lower case; a repeated
-- name collects its values in a list.  Returns nil on a malformed line.
function M.parseheader(lines, from, header)
	local last
	for i = from, #lines do
		local line = lines[i]
		local first = line:byte(1)
		if first == 9 or first == 32 then -- obsolete line folding
			if last == nil then
				return nil
			end
			local v = header[last]
			local folded = line:match("^%s*(.-)%s*$")
			if type(v) == "table" then
				v[#v] = v[#v] .. " " .. folded
			else
				header[last] = v .. " " .. folded
			end
		else
			local name, value = line:match("^([^%s:]+):%s*(.-)%s*$")
			if name == nil then
				return nil
			end
			name = name:lower()
			local old = header[name]
			if old == nil then
				header[name] = value
			elseif type(old) == "table" then
				old[#old + 1] = value
			else
				header[name] = { old, value }
			end
			last = name
		end
	end
	return header
end

-- one value of a header that must not repeat
local function single(header, name)
	local v = header[name]
	if type(v) == "table" then
		error("repeated header " .. name)
	end
	return v
end
M.single = single

-- content-length as a number, nil when absent; an error when malformed
function M.content_length(header)
	local v = single(header, "content-length")
	if v == nil then
		return nil
	end
	if not v:match("^%d+$") or #v > 15 then
		error("bad content-length " .. v)
	end
	return tonumber(v)
end

-- "chunked", "identity" or nil; other codings are an error
function M.transfer_mode(header)
	local v = single(header, "transfer-encoding")
	if v == nil then
		return nil
	end
	v = v:lower()
	if v ~= "chunked" and v ~= "identity" then
		error("unsupported transfer-encoding " .. v)
	end
	return v
end

-- reads more until `pending` holds n bytes: returns them and the rest
local function take(read, pending, n)
	if #pending >= n then
		return pending:sub(1, n), pending:sub(n + 1)
	end
	return pending .. read(n - #pending), ""
end

-- the next chunk's size and the bytes after its size line
local function chunk_size(read, pending)
	local eol = pending:find("\r\n", 1, true)
	while not eol do
		if #pending > CHUNK_LINE_LIMIT then
			error("chunk size line too long")
		end
		pending = pending .. read()
		eol = pending:find("\r\n", 1, true)
	end
	if eol > CHUNK_LINE_LIMIT then
		error("chunk size line too long")
	end
	local hex = pending:sub(1, eol - 1):match("^(%x+)%s*;?.*$")
	if not hex or #hex > 12 then
		error("bad chunk size")
	end
	return tonumber(hex, 16), pending:sub(eol + 2)
end

local function chunk_end(read, pending)
	local crlf
	crlf, pending = take(read, pending, 2)
	if crlf ~= "\r\n" then
		error("chunk not followed by CRLF")
	end
	return pending
end

-- Reads a chunked body whose first bytes are `pending`.  Trailer fields go
-- into `header`.  Returns body, header, the bytes after the message; nil
-- when the body exceeds bodylimit.
function M.recvchunkedbody(read, bodylimit, header, pending)
	local parts, size = {}, 0
	while true do
		local sz
		sz, pending = chunk_size(read, pending)
		if sz == 0 then
			break
		end
		size = size + sz
		if bodylimit and size > bodylimit then
			return nil
		end
		parts[#parts + 1], pending = take(read, pending, sz)
		pending = chunk_end(read, pending)
	end
	local trailers = {}
	pending = M.recvheader(read, trailers, pending)
	if not pending or not M.parseheader(trailers, 1, header) then
		return nil
	end
	return table.concat(parts), header, pending
end

-- the identity body: content-length bytes, or (a response without one)
-- everything until the peer closes
local function recvbody(interface, code, header, pending)
	local length = M.content_length(header)
	if length then
		return (take(interface.read, pending, length))
	elseif code == 204 or code == 304 or code < 200 then
		return ""
	end
	return pending .. interface.readall()
end

local function header_block(header)
	local out = {}
	for k, v in pairs(header) do
		if type(v) == "table" then
			for _, each in ipairs(v) do
				out[#out + 1] = string.format("%s: %s\r\n", k, each)
			end
		else
			out[#out + 1] = string.format("%s: %s\r\n", k, v)
		end
	end
	return table.concat(out)
end
M.header_block = header_block

local function has_field(header, name)
	for k in pairs(header) do
		if k:lower() == name then
			return true
		end
	end
end

local function chunked_request(header)
	for k, v in pairs(header) do
		if k:lower() == "transfer-encoding" and tostring(v):lower() == "chunked" then
			return true
		end
	end
end

-- writes each string the function returns as one chunk, until it
-- returns nil
function M.write_chunks(write, producer)
	while true do
		local s = producer()
		if s == nil then
			write("0\r\n\r\n")
			return
		end
		if #s > 0 then
			write(string.format("%x\r\n%s\r\n", #s, s))
		end
	end
end

-- Sends a request and reads the response's header.  content: a string
-- (with content-length, or sent as is when the header asks for chunked),
-- a function producing chunks, or nil.  Returns the status code, the
-- bytes read after the header and the response header (recvheader when
-- given).
function M.request(interface, method, host, url, recvheader, header, content)
	local write = interface.write
	header = header or {}
	if not has_field(header, "host") then
		header.host = host
	end
	local head = string.format("%s %s HTTP/1.1\r\n%s", method, url, header_block(header))
	if type(content) == "function" then
		if not chunked_request(header) then
			head = head .. "transfer-encoding: chunked\r\n"
		end
		write(head .. "\r\n")
		M.write_chunks(write, content)
	elseif content and chunked_request(header) then
		write(head .. "\r\n" .. content)
	else
		content = content or ""
		write(string.format("%scontent-length: %d\r\n\r\n%s", head, #content, content))
	end

	local lines = {}
	local pending = M.recvheader(interface.read, lines, "")
	if not pending then
		error("Recv header failed")
	end
	local code = tonumber((lines[1] or ""):match("^HTTP/%d%.%d%s+(%d%d%d)"))
	if not code then
		error("Invalid HTTP response status line")
	end
	local resp_header = M.parseheader(lines, 2, recvheader or {})
	if not resp_header then
		error("Invalid HTTP response header")
	end
	return code, pending, resp_header
end

-- reads the response body after M.request
function M.response(interface, code, pending, header)
	if M.transfer_mode(header) == "chunked" then
		local body = M.recvchunkedbody(interface.read, nil, header, pending)
		if not body then
			error("Invalid response body")
		end
		return body
	end
	return recvbody(interface, code, header, pending)
end

---------------------------------------------------------------- streams
-- A response read piece by piece: stream() or stream:padding() returns
-- the next piece of body ("" or nil at the end); stream:close() (also
-- called by a to-be-closed variable) closes the connection.

local stream = {}
stream.__index = stream

function stream:close()
	local onclose = self._onclose
	if onclose then
		self._onclose = nil
		onclose(self)
	end
end
stream.__close = stream.close

function stream:padding()
	return self._next(self), self
end
stream.__call = stream.padding

local function finished(self)
	self.connected = nil
	self._next = function(s)
		s:close()
	end
end

local function broken(self)
	self.connected = false
	self:close()
end

local function next_all(self)
	local piece = self._pending
	if piece ~= "" then
		self._pending = ""
		return piece
	end
	local data = self._interface.read_some()
	if data then
		return data
	end
	finished(self)
	self:close()
end

local function next_length(self)
	local remain = self._remain
	if remain == 0 then
		finished(self)
		return ""
	end
	local piece = self._pending
	if piece == "" then
		piece = self._interface.read_some()
		if not piece then
			broken(self)
			return
		end
	end
	if #piece > remain then
		piece = piece:sub(1, remain)
	end
	self._pending = ""
	self._remain = remain - #piece
	return piece
end

local function next_chunk(self)
	local read = self._interface.read
	local ok, piece = pcall(function()
		local sz, pending = chunk_size(read, self._pending)
		if sz == 0 then
			local trailers = {}
			pending = M.recvheader(read, trailers, pending)
			if not pending or not M.parseheader(trailers, 1, self.header) then
				error("bad trailer")
			end
			self._pending = pending
			return ""
		end
		local data
		data, pending = take(read, pending, sz)
		self._pending = chunk_end(read, pending)
		return data
	end)
	if not ok then
		broken(self)
		return
	end
	if piece == "" then
		finished(self)
	end
	return piece
end

function M.response_stream(interface, code, pending, header)
	local nextf
	if M.transfer_mode(header) == "chunked" then
		nextf = next_chunk
	else
		local length = M.content_length(header)
		if length then
			nextf = next_length
		elseif code == 204 or code == 304 or code < 200 then
			nextf = function(self)
				finished(self)
				return ""
			end
		else
			nextf = next_all
		end
	end
	return setmetatable({
		status = code,
		header = header,
		connected = true,
		_interface = interface,
		_pending = pending,
		_remain = M.content_length(header),
		_next = nextf,
	}, stream)
end

return M
