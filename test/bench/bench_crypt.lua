-- skynet.crypt throughput on a 64 KB message: sha1, and DES (desencode /
-- desdecode with an 8-byte key, the cipher of skynet's login handshake),
-- in MB/s of input.  Round trips are checked before timing.
local crypt = require "skynet.crypt"
local B = require "benchlib"
local looptime = require "looptime"

local SIZE = 65536

B.run(function()
	local text = {}
	for i = 1, SIZE // 16 do
		text[i] = string.format("%015d\n", i * 7919)
	end
	text = table.concat(text)
	local key = crypt.randomkey()
	local cipher = crypt.desencode(key, text)
	assert(crypt.desdecode(key, cipher) == text, "DES does not round-trip")
	assert(#crypt.sha1(text) == 20, "sha1 is not 20 bytes")
	local mb = SIZE / 1048576
	B.report("crypt_sha1_mb_per_s", mb / looptime(function() crypt.sha1(text) end))
	B.report("crypt_desencode_mb_per_s", mb / looptime(function() crypt.desencode(key, text) end))
	B.report("crypt_desdecode_mb_per_s", mb / looptime(function() crypt.desdecode(key, cipher) end))
end)
