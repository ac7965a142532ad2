-- The HTTP/HTTPS server the http tests drive with curl, Python and httpc:
-- http.httpd on keep-alive connections, plain on config http_port and TLS
-- on https_port (certfile/keyfile from the config; 0 = not served).
-- Routes: /hello, /echo (the request body back, with its method and
-- length), /chunked (a chunked response), /query (the decoded query),
-- /header (one request header back), anything else 404.
local skynet = require "skynet"
local socket = require "skynet.socket"
local httpd = require "http.httpd"
local sockethelper = require "http.sockethelper"
local urllib = require "http.url"

local BODY_LIMIT = 64 * 1024

local function route(method, url, header, body)
	local path, query = urllib.parse(url)
	if path == "/hello" then
		return 200, "hello world\n", { ["content-type"] = "text/plain" }
	elseif path == "/echo" then
		return 200, body, { ["x-method"] = method, ["x-length"] = tostring(#body),
			["x-transfer-encoding"] = header["transfer-encoding"] or "none" }
	elseif path == "/chunked" then
		local n = 0
		return 200, function()
			n = n + 1
			if n <= 5 then
				return string.format("part %d;", n)
			end
		end
	elseif path == "/query" then
		local q = urllib.parse_query(query)
		local keys = {}
		for k, v in pairs(q) do
			keys[#keys + 1] = k .. "=" .. (type(v) == "table" and table.concat(v, ",") or v)
		end
		table.sort(keys)
		return 200, path .. "?" .. table.concat(keys, "&")
	elseif path == "/header" then
		local v = header[(query:match("name=([%w%-]+)") or ""):lower()]
		return 200, type(v) == "table" and table.concat(v, "|") or tostring(v)
	end
	return 404, "no such page: " .. path .. "\n"
end

local function wants_close(header)
	local c = header.connection
	return type(c) == "string" and c:lower() == "close"
end

local function serve(id, itf)
	while true do
		local code, url, method, header, body = httpd.read_request(itf.read, BODY_LIMIT)
		if not code then
			if url ~= sockethelper.socket_error then
				skynet.error("http_serve: bad request: " .. tostring(url))
			end
			return
		end
		if code ~= 200 then
			httpd.write_response(itf.write, code, nil, { connection = "close" })
			skynet.error("http_serve: answered " .. code)
			return
		end
		local status, rbody, rheader = route(method, url, header, body)
		if method == "HEAD" then
			rbody = nil
		end
		local ok, err = httpd.write_response(itf.write, status, rbody, rheader)
		if not ok or wants_close(header) then
			if not ok then
				skynet.error("http_serve: write failed: " .. tostring(err))
			end
			return
		end
	end
end

local tls_ctx

local function interface(id, secure)
	if not secure then
		return { read = sockethelper.readfunc(id), write = sockethelper.writefunc(id) }
	end
	local tls = require "http.tlshelper"
	if not tls_ctx then
		tls_ctx = tls.newctx()
		tls_ctx:set_cert(skynet.getenv "certfile", skynet.getenv "keyfile")
	end
	local conn = tls.newtls("server", tls_ctx)
	return {
		init = tls.init_responsefunc(id, conn),
		close = tls.closefunc(conn),
		read = tls.readfunc(id, conn),
		write = tls.writefunc(id, conn),
	}
end

local function accept(secure)
	return function(id)
		socket.start(id)
		local itf = interface(id, secure)
		local ok, err = true, nil
		if itf.init then
			ok, err = pcall(itf.init)
		end
		if ok then
			ok, err = pcall(serve, id, itf)
		end
		if not ok and err ~= sockethelper.socket_error then
			skynet.error("http_serve: connection failed: " .. tostring(err))
		end
		socket.close(id)
		if itf.close then
			itf.close()
		end
	end
end

skynet.start(function()
	local port = tonumber(skynet.getenv "http_port")
	local sport = tonumber(skynet.getenv "https_port" or 0)
	socket.start(socket.listen("127.0.0.1", port), accept(false))
	if sport and sport > 0 then
		socket.start(socket.listen("127.0.0.1", sport), accept(true))
	end
	skynet.error(string.format("http_serve: listening http %d https %d", port, sport or 0))
end)
