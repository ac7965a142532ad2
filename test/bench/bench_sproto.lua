-- sproto on a typical login request: a client's account, token, server,
-- version, device and a few tags.  Encode and decode of one message (ns
-- each), and 0-pack / unpack throughput (MB/s of unpacked bytes) over a
-- 64 KB stream of such encoded messages.  Each result is checked, so a
-- codec that stops round-tripping fails the benchmark instead of timing it.
local sproto = require "sproto"
local sprotoparser = require "sprotoparser"
local B = require "benchlib"
local looptime = require "looptime"

local sp = sproto.new(sprotoparser.parse [[
.Device {
	model 0 : string
	os 1 : string
	screen 2 : *integer
}

.Login {
	account 0 : string
	token 1 : string
	server 2 : string
	version 3 : integer
	platform 4 : integer
	timestamp 5 : integer
	device 6 : Device
	tags 7 : *string
	guest 8 : boolean
}
]])

local login = {
	account = "player10482@example.com",
	token = "c2t5bmV0LWxvZ2luLXRva2VuLTAxMjM0NTY3ODlhYmNkZWY=",
	server = "game-s01.eu",
	version = 10203,
	platform = 2,
	timestamp = 1764446400123, -- milliseconds: needs 64 bits
	device = { model = "Pixel 7", os = "Android 14", screen = { 1080, 2400 } },
	tags = { "zh_CN", "beta" },
	guest = false,
}

local function same(a, b)
	if type(a) ~= "table" or type(b) ~= "table" then
		return a == b
	end
	for k, v in pairs(a) do
		if not same(v, b[k]) then
			return false
		end
	end
	for k in pairs(b) do
		if a[k] == nil then
			return false
		end
	end
	return true
end

B.run(function()
	local bin = sp:encode("Login", login)
	assert(same(sp:decode("Login", bin), login), "the login message does not round-trip")
	B.report("sproto_login_bytes", #bin)
	B.report("sproto_login_encode_ns", looptime(function() sp:encode("Login", login) end) * 1e9)
	B.report("sproto_login_decode_ns", looptime(function() sp:decode("Login", bin) end) * 1e9)

	local stream = string.rep(bin, 65536 // #bin)
	local packed = sproto.pack(stream)
	assert(sproto.unpack(packed):sub(1, #stream) == stream, "pack/unpack does not round-trip")
	B.report("sproto_pack_mb_per_s", #stream / 1048576 / looptime(function() sproto.pack(stream) end))
	B.report("sproto_unpack_mb_per_s", #stream / 1048576 / looptime(function() sproto.unpack(packed) end))
	B.report("sproto_packed_percent", #packed * 100 / #stream)
end)
