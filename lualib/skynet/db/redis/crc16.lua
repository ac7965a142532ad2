-- CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection), the
-- hash redis cluster maps keys to slots with: require returns crc16(s).
local POLY = 0x1021

-- remainder of each byte value shifted into the high half
local remainder = {}
for byte = 0, 255 do
	local crc = byte << 8
	for _ = 1, 8 do
		crc = crc << 1
		if crc & 0x10000 ~= 0 then
			crc = crc ~ POLY
		end
		crc = crc & 0xffff
	end
	remainder[byte] = crc
end

return function(s)
	local crc = 0
	for i = 1, #s do
		crc = ((crc << 8) & 0xffff) ~ remainder[(crc >> 8) ~ s:byte(i)]
	end
	return crc
end
