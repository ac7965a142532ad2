-- The sproto example's client, for a plain lua5.4 with client.socket:
-- lua5.4 test/sproto/sproto_client.lua PORT
-- handshakes, sets and gets a key, waits for a server heartbeat, quits,
-- and checks each answer; exits 0 when the whole conversation went right.
package.cpath = "luaclib/?.so;" .. package.cpath
package.path = "lualib/?.lua;test/sproto/?.lua;" .. package.path

local socket = require "client.socket"
local sproto = require "sproto"
local proto = require "proto"

local host = sproto.new(proto.s2c):host "package"
local request = host:attach(sproto.new(proto.c2s))
local fd = socket.connect("127.0.0.1", assert(tonumber(arg[1]), "port"))

local session = 0
local function send_request(name, args)
	session = session + 1
	socket.send(fd, string.pack(">s2", request(name, args, session)))
	return session
end

local buffer = ""
-- the next message from the server (waits up to 5 s)
local function receive()
	for _ = 1, 5000 do
		if #buffer >= 2 then
			local len = string.unpack(">I2", buffer)
			if #buffer >= 2 + len then
				local msg = buffer:sub(3, 2 + len)
				buffer = buffer:sub(3 + len)
				return host:dispatch(msg)
			end
		end
		local data = socket.recv(fd)
		if data == "" then
			return "CLOSED"
		elseif data then
			buffer = buffer .. data
		else
			socket.usleep(1000)
		end
	end
	error "no message from the server within 5 s"
end

-- the response to session s; heartbeats in between are counted
local heartbeats = 0
local function response(s)
	while true do
		local kind, a, b = receive()
		if kind == "REQUEST" then
			assert(a == "heartbeat", "unexpected request " .. tostring(a))
			heartbeats = heartbeats + 1
		else
			assert(kind == "RESPONSE", "unexpected " .. tostring(kind))
			assert(a == s, "response to session " .. tostring(a) .. ", want " .. s)
			return b
		end
	end
end

local r = response(send_request "handshake")
assert(r.msg == "welcome", "handshake")
print("handshake:", r.msg)
send_request("set", { what = "hello", value = "world" }) -- set has no response type: an empty response
assert(response(session) == nil, "set answers without content")
r = response(send_request("get", { what = "hello" }))
assert(r.result == "world", "get hello")
print("get hello:", r.result)
r = response(send_request("get", { what = "missing" }))
assert(r.result == nil, "get missing")
while heartbeats == 0 do
	local kind, name = receive()
	assert(kind == "REQUEST" and name == "heartbeat", "heartbeat")
	heartbeats = 1
end
print("heartbeats:", heartbeats)
send_request "quit"
repeat
	local kind = receive()
until kind == "CLOSED"
print "closed by the server"
socket.close(fd)
print "CLIENT OK"
