-- http.httpd: reading an HTTP/1.x request and writing the response, over
-- any reader/writer pair (http.sockethelper for plain TCP, http.tlshelper
-- for TLS).  A connection may carry several requests (keep-alive): call
-- read_request again after each response.
local internal = require "http.internal"

local httpd = {}

local reason_phrase = {
	[100] = "Continue", [101] = "Switching Protocols",
	[200] = "OK", [201] = "Created", [202] = "Accepted",
	[203] = "Non-Authoritative Information", [204] = "No Content",
	[205] = "Reset Content", [206] = "Partial Content",
	[300] = "Multiple Choices", [301] = "Moved Permanently", [302] = "Found",
	[303] = "See Other", [304] = "Not Modified", [305] = "Use Proxy",
	[307] = "Temporary Redirect", [308] = "Permanent Redirect",
	[400] = "Bad Request", [401] = "Unauthorized", [402] = "Payment Required",
	[403] = "Forbidden", [404] = "Not Found", [405] = "Method Not Allowed",
	[406] = "Not Acceptable", [407] = "Proxy Authentication Required",
	[408] = "Request Time-out", [409] = "Conflict", [410] = "Gone",
	[411] = "Length Required", [412] = "Precondition Failed",
	[413] = "Request Entity Too Large", [414] = "Request-URI Too Large",
	[415] = "Unsupported Media Type", [416] = "Requested range not satisfiable",
	[417] = "Expectation Failed", [426] = "Upgrade Required",
	[429] = "Too Many Requests", [431] = "Request Header Fields Too Large",
	[500] = "Internal Server Error", [501] = "Not Implemented",
	[502] = "Bad Gateway", [503] = "Service Unavailable",
	[504] = "Gateway Time-out", [505] = "HTTP Version not supported",
}

-- returns a status code; on 200 also url, method, header, body
local function read_message(read, bodylimit)
	local lines = {}
	local pending = internal.recvheader(read, lines, "")
	if not pending then
		return 413 -- the header block is too large
	end
	local method, url, version = (lines[1] or ""):match("^([%u_%-]+) (%S+) HTTP/(%d%.%d)$")
	if not method then
		return 400
	end
	if version ~= "1.1" and version ~= "1.0" then
		return 505
	end
	local header = internal.parseheader(lines, 2, {})
	if not header then
		return 400
	end
	local okmode, mode = pcall(internal.transfer_mode, header)
	if not okmode then
		return 501
	end
	if mode == "chunked" then
		local body = internal.recvchunkedbody(read, bodylimit, header, pending)
		if not body then
			return 413
		end
		return 200, url, method, header, body
	end
	local oklen, length = pcall(internal.content_length, header)
	if not oklen then
		return 400
	end
	length = length or 0
	if bodylimit and length > bodylimit then
		return 413
	end
	local body = pending
	if #body >= length then
		body = body:sub(1, length)
	else
		body = body .. read(length - #body)
	end
	return 200, url, method, header, body
end

-- read_request(read [, bodylimit]) -> code, url, method, header, body
-- code 200 for a well-formed request, else the status to answer with
-- (400, 413, 501, 505).  A failed read (the peer left, or a malformed
-- chunked body) returns nil and the error (sockethelper.socket_error
-- when the socket is gone).
function httpd.read_request(read, bodylimit)
	local ok, code, url, method, header, body = pcall(read_message, read, bodylimit)
	if ok then
		return code, url, method, header, body
	end
	return nil, code
end

local function no_body(code)
	return code < 200 or code == 204 or code == 304
end

local function write_message(write, code, body, header)
	local head = string.format("HTTP/1.1 %03d %s\r\n%s", code, reason_phrase[code] or "",
		header and internal.header_block(header) or "")
	local kind = type(body)
	if kind == "string" then
		write(string.format("%scontent-length: %d\r\n\r\n%s", head, #body, body))
	elseif kind == "function" then
		write(head .. "transfer-encoding: chunked\r\n\r\n")
		internal.write_chunks(write, body)
	elseif kind == "nil" then
		if no_body(code) then
			write(head .. "\r\n")
		else
			write(head .. "content-length: 0\r\n\r\n")
		end
	else
		error("response body must be a string, a function or nil, not " .. kind)
	end
end

-- write_response(write, code [, body [, header]]) -> true, or false and
-- the error.  body: a string (sent with content-length), a function whose
-- successive results are sent as chunks until it returns nil, or nil.
-- header: { name = value or { values } }.
function httpd.write_response(write, code, body, header)
	return pcall(write_message, write, code, body, header)
end

return httpd
