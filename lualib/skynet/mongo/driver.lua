-- skynet.mongo.driver: MongoDB's OP_MSG framing (wire opcode 2013, the only
-- request format MongoDB 3.6 through 8 all accept).
--
--   driver.op_msg(request_id, flags, body) -> message bytes
--       body: a bson object (bson.encode*), or its bytes as a string
--   driver.length(four_bytes) -> bytes of the message that follow them
--   driver.reply(message_without_length) -> true, response_to, body_bytes
--       (errors on anything but one body section of an OP_MSG)
--
-- A message is a 16-byte header (messageLength, requestID, responseTo,
-- opCode, all little-endian int32), int32 flagBits, then sections: kind 0
-- is one BSON document, the command or its reply.
local driver = {}

local OP_MSG = 2013
local HEADER = "<i4i4i4i4I4B" -- header, flagBits, the kind byte of section 0

driver.OP_MSG = OP_MSG
driver.CHECKSUM_PRESENT = 1 -- flagBits: a CRC-32C follows the sections
driver.MORE_TO_COME = 2     -- a request that wants no reply

-- A reply bigger than this is not a reply: the servers' limit is 48 MB.
driver.MAX_MESSAGE = 64 * 1024 * 1024
local MIN_REPLY = 16 + 4 + 1 + 5 -- header, flags, kind, the smallest document

function driver.op_msg(request_id, flags, body)
	local doc = tostring(body)
	local head = string.pack(HEADER, 21 + #doc, request_id, 0, OP_MSG, flags, 0)
	return head .. doc
end

function driver.length(prefix)
	if #prefix ~= 4 then
		error("mongo: a message length takes 4 bytes", 0)
	end
	local total = string.unpack("<i4", prefix)
	if total < MIN_REPLY or total > driver.MAX_MESSAGE then
		error(string.format("mongo: bad reply length %d", total), 0)
	end
	return total - 4
end

-- message: the reply after its length field
function driver.reply(message)
	local size = #message
	if size < MIN_REPLY - 4 then
		error("mongo: reply too short", 0)
	end
	local _, response_to, opcode, flags, kind = string.unpack("<i4i4i4I4B", message)
	if opcode ~= OP_MSG then
		error(string.format("mongo: unsupported reply opcode %d", opcode), 0)
	end
	if kind ~= 0 then
		error(string.format("mongo: unsupported OP_MSG section kind %d", kind), 0)
	end
	-- the checksum is not verified: TCP already checks the bytes
	local stop = size
	if flags & driver.CHECKSUM_PRESENT ~= 0 then
		stop = stop - 4
	end
	local doc_size = string.unpack("<i4", message, 18)
	if doc_size ~= stop - 17 then
		error("mongo: OP_MSG reply is not exactly one body section", 0)
	end
	return true, response_to, message:sub(18, stop)
end

return driver
