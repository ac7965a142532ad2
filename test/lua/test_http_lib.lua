-- The http libraries without sockets: http.url, http.httpd over readers
-- made from strings (well-formed, malformed and random requests: a status
-- or nil and an error, never anything else), write_response's bytes, and
-- ltls.c: argument checks, a client and a server handshaking through
-- memory, garbage fed to the engine, use after close.
local skynet = require "skynet"
local urllib = require "http.url"
local httpd = require "http.httpd"
local sockethelper = require "http.sockethelper"
local T = require "testlib"

-- a reader over s, handing out at most `step` bytes per read()
local function reader(s, step)
	local pos = 1
	return function(sz)
		if pos > #s then
			error(sockethelper.socket_error("end of test input"))
		end
		if sz == nil then
			local out = s:sub(pos, pos + (step or 1 << 30) - 1)
			pos = pos + #out
			return out
		end
		if pos + sz - 1 > #s then
			pos = #s + 1
			error(sockethelper.socket_error("short test input"))
		end
		local out = s:sub(pos, pos + sz - 1)
		pos = pos + sz
		return out
	end
end

local function url()
	local path, query = urllib.parse("/a%20b/c+d?x=1&y=%41")
	T.eq(path, "/a b/c d", "decoded path")
	T.eq(query, "x=1&y=%41", "raw query")
	T.eq(select(2, urllib.parse("/plain")), "", "no query")
	local q = urllib.parse_query("a=1&b=x+y&a=2&c=%3D%26&flag&a=3")
	T.eq(table.concat(q.a, ","), "1,2,3", "repeated key")
	T.eq(q.b, "x y", "plus as space")
	T.eq(q.c, "=&", "escaped = and &")
	T.eq(q.flag, nil, "a key without a value is skipped")
	T.eq(urllib.parse("/bad%zz%4"), "/bad%zz%4", "bad escapes are left alone")
end

local function requests()
	for _, step in ipairs { 1, 3, 1000 } do
		local code, u, method, header, body = httpd.read_request(reader(
			"POST /p?q=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\nFolded: one\r\n two\r\nContent-Length: 5\r\n\r\nhello", step))
		T.eq(code, 200, "request status, step " .. step)
		T.eq(u, "/p?q=1", "target")
		T.eq(method, "POST", "method")
		T.eq(header.host, "h", "host")
		T.eq(table.concat(header["x-a"], ","), "1,2", "repeated header")
		T.eq(header.folded, "one two", "folded header")
		T.eq(body, "hello", "body")
		code, u, method, header, body = httpd.read_request(reader(
			"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrail: t\r\n\r\n", step))
		T.eq(body, "hello0123456789", "chunked body, step " .. step)
		T.eq(header.trail, "t", "trailer")
	end
	local cases = {
		{ "GET / HTTP/1.0\r\n\r\n", 200 },
		{ "get / HTTP/1.1\r\n\r\n", 400 },
		{ "GET /\r\n\r\n", 400 },
		{ "GET / HTTP/3.0\r\n\r\n", 505 },
		{ "GET / HTTP/1.1\r\n: empty name\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\n folded first\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501 },
		{ "GET / HTTP/1.1\r\nContent-Length: 11\r\n\r\nhello world", 413, 10 },
		{ "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello!\r\n6\r\nhello!\r\n0\r\n\r\n", 413, 10 },
		{ "GET / HTTP/1.1\r\n" .. string.rep("X: y\r\n", 2000) .. "\r\n", 413 },
		{ "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n", nil },
		{ "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffff\r\n", nil },
		{ "GET / HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort", nil },
		{ "GET / HTTP/1.1\r\nHost: x\r\n", nil },
	}
	for i, c in ipairs(cases) do
		local code, err = httpd.read_request(reader(c[1]), c[3])
		T.eq(code, c[2], "case " .. i .. " " .. string.format("%q", c[1]:sub(1, 40)) .. " " .. tostring(err))
	end
	-- random and mutated input: a status code or nil and an error
	math.randomseed(11)
	local base = "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"
	for _ = 1, 3000 do
		local s
		if math.random() < 0.5 then
			local b = {}
			for j = 1, math.random(0, 200) do
				b[j] = string.char(math.random(0, 255))
			end
			s = table.concat(b)
		else
			local at = math.random(1, #base)
			s = base:sub(1, at - 1) .. string.char(math.random(0, 255)) .. base:sub(at + 1)
		end
		local code, err = httpd.read_request(reader(s, math.random(1, 8)), 100)
		T.ok(math.type(code) == "integer" or (code == nil and err ~= nil), "fuzzed request")
	end
end

local function responses()
	local out = {}
	local function write(s)
		out[#out + 1] = s
	end
	T.ok(httpd.write_response(write, 200, "hi", { ["x-a"] = { "1", "2" } }), "write string body")
	local s = table.concat(out)
	T.eq(s, "HTTP/1.1 200 OK\r\nx-a: 1\r\nx-a: 2\r\ncontent-length: 2\r\n\r\nhi", "bytes of a response")
	out = {}
	local parts = { "ab", "", "cde" }
	local i = 0
	T.ok(httpd.write_response(write, 201, function()
		i = i + 1
		return parts[i]
	end), "write chunked body")
	T.eq(table.concat(out), "HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n",
		"bytes of a chunked response")
	out = {}
	httpd.write_response(write, 204)
	T.eq(table.concat(out), "HTTP/1.1 204 No Content\r\n\r\n", "204 without a body")
	out = {}
	httpd.write_response(write, 404)
	T.eq(table.concat(out), "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n", "404 without a body")
	local ok, err = httpd.write_response(write, 200, {})
	T.eq(ok, false, "a table body is refused")
	T.ok(tostring(err):find("must be a string", 1, true), "its error")
	ok, err = httpd.write_response(function()
		error(sockethelper.socket_error)
	end, 200, "x")
	T.eq(err, sockethelper.socket_error, "a write failure comes back as socket_error")
end

local function ltls()
	local c = require "ltls.c"
	local dir = os.tmpname()
	os.remove(dir)
	assert(os.execute("mkdir -p " .. dir))
	local cert, key = dir .. "/cert.pem", dir .. "/key.pem"
	T.ok(os.execute(string.format("openssl req -x509 -newkey rsa:2048 -days 1 -nodes -keyout %s -out %s "
		.. "-subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null", key, cert)), "openssl made a certificate")
	T.raises("bad argument", c.newtls, "client", {})
	T.raises("tls method", c.newtls, "both", c.newctx())
	T.raises("bad argument", c.newctx().set_cert, {}, "a", "b")
	T.raises("certificate file /nonexistent", c.newctx().set_cert, c.newctx(), "/nonexistent", key)
	T.raises("cipher list", function()
		c.newctx():set_ciphers("NO-SUCH-CIPHER")
	end)

	local sctx = c.newctx()
	sctx:set_cert(cert, key)
	local cctx = c.newctx()
	cctx:load_verify(cert)
	-- runs both sides until done; returns the bytes each still has to read
	local function handshake(client, server)
		local to_server, to_client = client:handshake() or "", ""
		for _ = 1, 10 do
			if client:finished() and server:finished() then
				return to_server, to_client
			end
			if not server:finished() then
				to_client = to_client .. (server:handshake(to_server) or "")
				to_server = ""
			end
			if not client:finished() then
				to_server = to_server .. (client:handshake(to_client) or "")
				to_client = ""
			end
		end
		error("handshake did not finish")
	end
	local client = c.newtls("client", cctx, "localhost")
	local server = c.newtls("server", sctx)
	local to_server, to_client = handshake(client, server)
	T.eq(server:read(to_server), "", "no data yet on the server")
	T.eq(client:read(to_client), "", "no data yet on the client (session tickets)")
	T.raises("handshake is finished", client.handshake, client)
	local wire = client:write(string.rep("x", 100000))
	T.eq(server:read(wire), string.rep("x", 100000), "100 KB through the engine")
	T.eq(client:read(server:write("pong")), "pong", "and back")
	T.raises("tls read", server.read, server, string.rep("\23\3\3\0\32", 10))
	client:close()
	T.raises("closed", client.write, client, "x")

	local wrong = c.newtls("client", cctx, "otherhost")
	T.raises("certificate verify failed", handshake, wrong, c.newtls("server", sctx))
	local victim = c.newtls("server", sctx)
	T.raises("tls handshake", victim.handshake, victim, "GET / HTTP/1.1\r\n\r\n")
	os.execute("rm -rf " .. dir)
	collectgarbage()
end

T.run(function()
	url()
	requests()
	responses()
	ltls()
	skynet.error("http lib checks done")
end)
