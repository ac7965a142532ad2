-- test_snax_login's client, run by a plain lua5.4:
--   lua5.4 test/login/login_client.lua LOGIN_PORT GATE_PORT
-- logs in through the login server, talks to the message gate, reconnects
-- (cached responses), and tries the refusals; prints CLIENT OK at the end.
package.cpath = "luaclib/?.so;" .. package.cpath
local socket = require "client.socket"
local crypt = require "client.crypt"

local login_port, gate_port = tonumber(arg[1]), tonumber(arg[2])
local b64e, b64d = crypt.base64encode, crypt.base64decode

-- a connection with a receive buffer; reads wait up to 5 s
local function connect(port)
	return { fd = socket.connect("127.0.0.1", port), buf = "" }
end

local function fill(c)
	for _ = 1, 5000 do
		local data = socket.recv(c.fd)
		if data == "" then
			return false
		elseif data then
			c.buf = c.buf .. data
			return true
		end
		socket.usleep(1000)
	end
	error "no answer within 5 s"
end

local function readline(c)
	while true do
		local at = string.find(c.buf, "\n", 1, true)
		if at then
			local line = string.sub(c.buf, 1, at - 1)
			c.buf = string.sub(c.buf, at + 1)
			return line
		end
		if not fill(c) then
			return nil
		end
	end
end

local function readpacket(c)
	while true do
		if #c.buf >= 2 then
			local size = string.unpack(">I2", c.buf)
			if #c.buf >= size + 2 then
				local p = string.sub(c.buf, 3, size + 2)
				c.buf = string.sub(c.buf, size + 3)
				return p
			end
		end
		if not fill(c) then
			return nil
		end
	end
end

local function writeline(c, text)
	socket.send(c.fd, text .. "\n")
end

local function check(v, want, what)
	if v ~= want then
		error(string.format("%s: want %q, got %q", what, tostring(want), tostring(v)), 2)
	end
end

-- the login handshake up to the token; returns the connection and the secret
local function login_start(user, pass, server)
	local c = connect(login_port)
	local challenge = b64d(readline(c))
	local key = crypt.randomkey()
	writeline(c, b64e(crypt.dhexchange(key)))
	local secret = crypt.dhsecret(b64d(readline(c)), key)
	writeline(c, b64e(crypt.hmac64(challenge, secret)))
	local token = string.format("%s@%s:%s", b64e(user), b64e(server), b64e(pass))
	writeline(c, b64e(crypt.desencode(secret, token)))
	return c, secret
end

local function login_finish(c)
	local answer = readline(c)
	check(readline(c), nil, "the login server closes after its answer")
	socket.close(c.fd)
	return answer
end

-- returns the answer line and the secret
local function login(user, pass, server)
	local c, secret = login_start(user, pass, server)
	return login_finish(c), secret
end

local function login_ok(user)
	local answer, secret = login(user, "password", "sample")
	check(string.sub(answer, 1, 4), "200 ", "login of " .. user)
	return b64d(string.sub(answer, 5)), secret
end

local function gate_handshake(user, subid, secret, index)
	local c = connect(gate_port)
	local name = string.format("%s@%s#%s:%d", b64e(user), b64e("sample"), b64e(subid), index)
	local hmac = crypt.hmac64(crypt.hashkey(name), secret)
	socket.send(c.fd, string.pack(">s2", name .. ":" .. b64e(hmac)))
	return c, readpacket(c)
end

local function send_request(c, text, session)
	socket.send(c.fd, string.pack(">s2", text .. string.pack(">I4", session)))
end

local function read_response(c)
	local p = assert(readpacket(c), "connection closed instead of a response")
	local content, ok, session = string.unpack("c" .. (#p - 5) .. "B>I4", p)
	return ok, content, session
end

-- 1. log in, talk, reconnect: a repeated session gets the cached answer
local subid, secret = login_ok("alice")
local c, answer = gate_handshake("alice", subid, secret, 1)
check(answer, "200 OK", "first handshake")
send_request(c, "echo", 0)
socket.close(c.fd) -- leave before the answer
c, answer = gate_handshake("alice", subid, secret, 2)
check(answer, "200 OK", "handshake after reconnecting")
send_request(c, "fake", 0) -- same session: the old request's answer comes back
send_request(c, "again", 1)
local got = {}
for _ = 1, 2 do
	local ok, content, session = read_response(c)
	check(ok, 1, "response ok byte")
	got[session] = content
end
check(got[0], "echo", "the cached response of session 0")
check(got[1], "again", "a new session runs")
send_request(c, "boom", 2)
local ok, content, session = read_response(c)
check(ok, 0, "a failed request answers ok = 0")
check(content, "", "a failed request has no content")
check(session, 2, "the failed request's session")
socket.close(c.fd)

-- 2. refused handshakes
local _, refusal = gate_handshake("alice", subid, secret, 2)
check(refusal, "403 Index Expired", "an old index")
_, refusal = gate_handshake("alice", subid, "wrongkey", 3)
check(refusal, "401 Unauthorized", "a wrong secret")
_, refusal = gate_handshake("nobody", subid, secret, 1)
check(refusal, "404 User Not Found", "an unknown user")
c = connect(gate_port)
socket.send(c.fd, string.pack(">s2", string.format("%s@%s#%s:x:y", b64e("alice"), b64e("sample"), b64e(subid))))
check(readpacket(c), "400 Bad Request", "a malformed handshake")
check(readpacket(c), nil, "the gate closes a refused connection")
socket.close(c.fd)

-- 3. refused logins
check(login("alice", "wrong", "sample"), "401 Unauthorized", "a wrong password")
check(login("bob", "password", "nowhere"), "403 Forbidden", "an unknown server")
c = connect(login_port)
readline(c)
writeline(c, b64e("short"))
check(readline(c), "401 Unauthorized", "a bad client key")
check(readline(c), nil, "and the connection closes")
socket.close(c.fd)

-- 5. while a login of a user runs, another one of the same user is refused
local first = login_start("slowpoke", "password", "sample")
-- the two tokens go to different slaves: give the first a head start, or
-- the second may reach the login server first on a loaded machine
socket.usleep(1000000)
local second = login_start("slowpoke", "password", "sample")
check(login_finish(second), "406 Not Acceptable", "a concurrent login")
check(string.sub(login_finish(first), 1, 4), "200 ", "the first concurrent login")

-- 4. a second login kicks the first session out
local subid2, secret2 = login_ok("alice")
if subid2 == subid then
	error "a new login gets a new subid"
end
_, refusal = gate_handshake("alice", subid, secret, 5)
check(refusal, "404 User Not Found", "the kicked session is gone")
c, answer = gate_handshake("alice", subid2, secret2, 1)
check(answer, "200 OK", "the new session")
send_request(c, "hello again", 7)
ok, content = read_response(c)
check(content, "hello again", "talking in the new session")
socket.close(c.fd)
print("CLIENT OK")
