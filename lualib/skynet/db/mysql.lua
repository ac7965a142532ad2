-- skynet.db.mysql: a non-blocking MySQL/MariaDB client on
-- skynet.socketchannel (client/server protocol 4.1).
--
--   local mysql = require "skynet.db.mysql"
--   local db = mysql.connect { host = "127.0.0.1", port = 3306, database = "game",
--       user = "u", password = "p", charset = "utf8mb4", max_packet_size = 1024 * 1024,
--       compact_arrays = false, on_connect = function(db) ... end, overload = f }
--   db:query "select ..."          -- rows (name -> value), an OK table, or
--                                  -- { badresult = true, errno, sqlstate, err };
--                                  -- several statements: { res1, res2, ..., multiresultset = true }
--   local stmt = db:prepare "select * from t where id = ?"
--   db:execute(stmt, 42); db:stmt_reset(stmt); db:stmt_close(stmt)
--   db:ping(); db:server_ver(); mysql.quote_sql_str(s); db:disconnect()
--
-- Text results convert integer, float, double, decimal and year columns to
-- Lua numbers and leave the rest (dates, strings, blobs) as strings; NULL is
-- nil.  The connection reconnects by itself (logging in again and running
-- on_connect) when a request finds it closed.
local socketchannel = require "skynet.socketchannel"
local crypt = require "skynet.crypt"

local mysql = {}
local meta = { __index = mysql }

local COM_QUERY = 0x03
local COM_PING = 0x0e
local COM_STMT_PREPARE = 0x16
local COM_STMT_EXECUTE = 0x17
local COM_STMT_CLOSE = 0x19
local COM_STMT_RESET = 0x1a

local MAX_PAYLOAD = 0xffffff          -- a longer payload continues in the next packet
local SERVER_MORE_RESULTS_EXISTS = 0x0008
local UNSIGNED_FLAG = 0x0020

-- capability flags this client asks for
local CLIENT_LONG_PASSWORD = 0x00000001
local CLIENT_FOUND_ROWS = 0x00000002
local CLIENT_LONG_FLAG = 0x00000004
local CLIENT_CONNECT_WITH_DB = 0x00000008
local CLIENT_PROTOCOL_41 = 0x00000200
local CLIENT_TRANSACTIONS = 0x00002000
local CLIENT_SECURE_CONNECTION = 0x00008000
local CLIENT_MULTI_STATEMENTS = 0x00010000
local CLIENT_MULTI_RESULTS = 0x00020000
local CLIENT_PS_MULTI_RESULTS = 0x00040000
local CLIENT_PLUGIN_AUTH = 0x00080000
local CLIENT_FLAGS = CLIENT_LONG_PASSWORD | CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG
	| CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS
	| CLIENT_SECURE_CONNECTION | CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS
	| CLIENT_PS_MULTI_RESULTS | CLIENT_PLUGIN_AUTH

-- default collation id of each character set (information_schema.collations)
local CHARSET = {
	_default = 0, big5 = 1, dec8 = 3, cp850 = 4, hp8 = 6, koi8r = 7, latin1 = 8,
	latin2 = 9, swe7 = 10, ascii = 11, ujis = 12, sjis = 13, hebrew = 16, tis620 = 18,
	euckr = 19, koi8u = 22, gb2312 = 24, greek = 25, cp1250 = 26, gbk = 28, latin5 = 30,
	armscii8 = 32, utf8 = 33, utf8mb3 = 33, ucs2 = 35, cp866 = 36, keybcs2 = 37,
	macce = 38, macroman = 39, cp852 = 40, latin7 = 41, utf8mb4 = 45, cp1251 = 51,
	utf16 = 54, utf16le = 56, cp1256 = 57, cp1257 = 59, utf32 = 60, binary = 63,
	geostd8 = 92, cp932 = 95, eucjpms = 97, gb18030 = 248,
}

---------------------------------------------------------------- packets

-- A length-encoded integer at pos: value (nil for the NULL marker 0xfb), next pos.
local function lenenc_int(data, pos)
	local first = data:byte(pos)
	if first == nil then
		error("mysql: packet too short", 0)
	elseif first < 0xfb then
		return first, pos + 1
	elseif first == 0xfb then
		return nil, pos + 1
	elseif first == 0xfc then
		return string.unpack("<I2", data, pos + 1)
	elseif first == 0xfd then
		return string.unpack("<I3", data, pos + 1)
	elseif first == 0xfe then
		return string.unpack("<I8", data, pos + 1)
	end
	error("mysql: bad length-encoded integer", 0)
end

local function lenenc_str(data, pos)
	local len
	len, pos = lenenc_int(data, pos)
	if len == nil then
		return nil, pos
	end
	if pos + len - 1 > #data then
		error("mysql: packet too short", 0)
	end
	return data:sub(pos, pos + len - 1), pos + len
end

local function encode_lenenc(n)
	if n < 0xfb then
		return string.char(n)
	elseif n < 0x10000 then
		return string.pack("<BI2", 0xfc, n)
	elseif n < 0x1000000 then
		return string.pack("<BI3", 0xfd, n)
	end
	return string.pack("<BI8", 0xfe, n)
end

-- The packets carrying payload, numbered from seq; a payload of 16 MB or
-- more is split, ending with a packet shorter than the maximum.
local function frame(payload, seq)
	local out, pos = {}, 1
	repeat
		local chunk = payload:sub(pos, pos + MAX_PAYLOAD - 1)
		out[#out + 1] = string.pack("<I3B", #chunk, seq & 0xff)
		out[#out + 1] = chunk
		seq = seq + 1
		pos = pos + #chunk
	until #chunk < MAX_PAYLOAD
	return table.concat(out)
end

local function command(code, body)
	return frame(string.char(code) .. (body or ""), 0)
end

-- Reads one logical packet (joining split ones); returns payload, seq.
local function read_packet(sock)
	local parts = {}
	local len, seq
	repeat
		len, seq = string.unpack("<I3B", sock:read(4))
		parts[#parts + 1] = len > 0 and sock:read(len) or ""
	until len < MAX_PAYLOAD
	return table.concat(parts), seq
end

local function is_eof(packet)
	return packet:byte(1) == 0xfe and #packet < 9
end

local function parse_ok(packet)
	local res = {}
	local pos
	res.affected_rows, pos = lenenc_int(packet, 2)
	res.insert_id, pos = lenenc_int(packet, pos)
	res.server_status, res.warning_count, pos = string.unpack("<I2I2", packet, pos)
	if pos <= #packet then
		res.message = packet:sub(pos)
	end
	return res
end

-- errno, message, sqlstate of an ERR packet
local function parse_err(packet)
	local errno, pos = string.unpack("<I2", packet, 2)
	local sqlstate
	if packet:sub(pos, pos) == "#" then
		sqlstate = packet:sub(pos + 1, pos + 5)
		pos = pos + 6
	end
	return errno, packet:sub(pos), sqlstate
end

local function eof_status(packet)
	local _, status = string.unpack("<I2I2", packet, 2)
	return status
end

-- a column definition: name, type, is_signed
local function parse_column(packet)
	local _, pos = nil, 1
	for _ = 1, 4 do -- catalog, schema, table, original table
		_, pos = lenenc_str(packet, pos)
	end
	local col = {}
	col.name, pos = lenenc_str(packet, pos)
	_, pos = lenenc_str(packet, pos) -- original name
	_, pos = lenenc_int(packet, pos) -- length of the fixed fields
	local _, _, typ, flags = string.unpack("<I2I4BI2", packet, pos)
	col.type = typ
	col.is_signed = flags & UNSIGNED_FLAG == 0 or nil
	return col
end

-- column definitions up to their EOF
local function read_columns(sock, count)
	local cols = {}
	for i = 1, count do
		cols[i] = parse_column((read_packet(sock)))
	end
	if count > 0 and not is_eof((read_packet(sock))) then
		error("mysql: no EOF after the column definitions", 0)
	end
	return cols
end

---------------------------------------------------------------- values

-- text protocol: these column types become numbers
local numeric = {
	[0x01] = true, [0x02] = true, [0x03] = true, [0x04] = true, [0x05] = true, -- tiny short long float double
	[0x08] = true, [0x09] = true, [0x0d] = true, -- longlong int24 year
	[0x00] = true, [0xf6] = true,                 -- decimal newdecimal
}

local function text_row(packet, cols, compact)
	local row, pos = {}, 1
	for i, col in ipairs(cols) do
		local value
		value, pos = lenenc_str(packet, pos)
		if value ~= nil and numeric[col.type] then
			value = tonumber(value)
		end
		row[compact and i or col.name] = value
	end
	return row
end

local function integer_reader(size)
	local signed, unsigned = "<i" .. size, "<I" .. size
	return function(data, pos, col)
		if col.is_signed then
			return string.unpack(signed, data, pos)
		end
		local v, next_pos = string.unpack(unsigned, data, pos)
		if v < 0 then -- an unsigned 64-bit value above math.maxinteger
			v = v + 2.0 ^ 64
		end
		return v, next_pos
	end
end

local function read_datetime(data, pos)
	local len = data:byte(pos)
	local year, month, day, hour, minute, second, micro = 0, 0, 0, 0, 0, 0, 0
	if len >= 4 then
		year, month, day = string.unpack("<I2BB", data, pos + 1)
	end
	if len >= 7 then
		hour, minute, second = string.unpack("BBB", data, pos + 5)
	end
	if len >= 11 then
		micro = string.unpack("<I4", data, pos + 8)
	end
	local s = string.format("%04d-%02d-%02d %02d:%02d:%02d", year, month, day, hour, minute, second)
	if micro > 0 then
		s = s .. string.format(".%06d", micro)
	end
	return s, pos + 1 + len
end

local function read_date(data, pos)
	local len = data:byte(pos)
	local year, month, day = 0, 0, 0
	if len >= 4 then
		year, month, day = string.unpack("<I2BB", data, pos + 1)
	end
	return string.format("%04d-%02d-%02d", year, month, day), pos + 1 + len
end

local function read_time(data, pos)
	local len = data:byte(pos)
	local negative, days, hour, minute, second, micro = 0, 0, 0, 0, 0, 0
	if len >= 8 then
		negative, days, hour, minute, second = string.unpack("<BI4BBB", data, pos + 1)
	end
	if len >= 12 then
		micro = string.unpack("<I4", data, pos + 9)
	end
	local s = string.format("%s%02d:%02d:%02d", negative == 1 and "-" or "", days * 24 + hour, minute, second)
	if micro > 0 then
		s = s .. string.format(".%06d", micro)
	end
	return s, pos + 1 + len
end

local function read_decimal(data, pos)
	local s, next_pos = lenenc_str(data, pos)
	return tonumber(s), next_pos
end

-- binary protocol: a reader per column type; every other type is a string
local binary_reader = {
	[0x01] = integer_reader(1),
	[0x02] = integer_reader(2),
	[0x0d] = integer_reader(2), -- year
	[0x03] = integer_reader(4),
	[0x09] = integer_reader(4), -- int24 is sent in 4 bytes
	[0x08] = integer_reader(8),
	[0x04] = function(data, pos) return string.unpack("<f", data, pos) end,
	[0x05] = function(data, pos) return string.unpack("<d", data, pos) end,
	[0x07] = read_datetime,      -- timestamp
	[0x0c] = read_datetime,
	[0x0a] = read_date,
	[0x0b] = read_time,
	[0x00] = read_decimal,
	[0xf6] = read_decimal,
}

local function binary_row(packet, cols, compact)
	-- header 0x00, then a NULL bitmap whose first two bits are unused
	local bitmap_pos = 2
	local pos = bitmap_pos + (#cols + 9) // 8
	local row = {}
	for i, col in ipairs(cols) do
		local bit = i + 1
		local byte = packet:byte(bitmap_pos + bit // 8)
		if byte & (1 << (bit % 8)) == 0 then
			local value
			value, pos = (binary_reader[col.type] or lenenc_str)(packet, pos, col)
			row[compact and i or col.name] = value
		end
	end
	return row
end

---------------------------------------------------------------- results

-- Reads one result: rows or an OK table, and whether more results follow;
-- nil, err, errno, sqlstate for an error.
local function read_result(sock, row_parser, compact)
	local packet = read_packet(sock)
	local first = packet:byte(1)
	if first == 0xff then
		local errno, msg, sqlstate = parse_err(packet)
		return nil, msg, errno, sqlstate
	elseif first == 0x00 then
		local res = parse_ok(packet)
		return res, res.server_status & SERVER_MORE_RESULTS_EXISTS ~= 0
	elseif first == 0xfb then
		error("mysql: LOAD DATA LOCAL INFILE is not supported", 0)
	end
	local cols = read_columns(sock, (lenenc_int(packet, 1)))
	local rows = {}
	while true do
		packet = read_packet(sock)
		if is_eof(packet) then
			return rows, eof_status(packet) & SERVER_MORE_RESULTS_EXISTS ~= 0
		elseif packet:byte(1) == 0xff then
			local errno, msg, sqlstate = parse_err(packet)
			return nil, msg, errno, sqlstate
		end
		rows[#rows + 1] = row_parser(packet, cols, compact)
	end
end

local function bad_result(into, err, errno, sqlstate)
	into.badresult = true
	into.err = err
	into.errno = errno
	into.sqlstate = sqlstate
	return into
end

-- The response reader of a query or execute: one result, or all of them
-- in a table marked multiresultset.
local function results_reader(self, row_parser)
	return function(sock)
		local res, more, errno, sqlstate = read_result(sock, row_parser, self.compact)
		if not res then
			return true, bad_result({}, more, errno, sqlstate)
		end
		if not more then
			return true, res
		end
		local all = { res, multiresultset = true }
		while more do
			res, more, errno, sqlstate = read_result(sock, row_parser, self.compact)
			if not res then
				return true, bad_result(all, more, errno, sqlstate)
			end
			all[#all + 1] = res
		end
		return true, all
	end
end

---------------------------------------------------------------- login

-- mysql_native_password: SHA1(password) XOR SHA1(scramble .. SHA1(SHA1(password)))
local function native_password(password, scramble)
	if password == "" then
		return ""
	end
	local stage1 = crypt.sha1(password)
	local stage2 = crypt.sha1(stage1)
	return crypt.xor_str(stage1, crypt.sha1(scramble .. stage2))
end

local function auth_response(plugin, password, scramble)
	if plugin == "mysql_native_password" then
		return native_password(password, scramble)
	end
	error("mysql: authentication plugin " .. plugin .. " is not supported", 0)
end

local function read_handshake(self, packet)
	local protocol, pos = string.unpack("B", packet)
	if protocol ~= 10 then
		error("mysql: unsupported protocol version " .. protocol, 0)
	end
	self._server_ver, pos = string.unpack("z", packet, pos)
	local scramble1, caps_low, caps_high, scramble_len
	self._thread_id, scramble1, pos = string.unpack("<I4c8", packet, pos)
	caps_low, self._server_lang, self._server_status, caps_high, scramble_len, pos =
		string.unpack("<xI2BI2I2B", packet, pos)
	self._server_capabilities = caps_low | caps_high << 16
	pos = pos + 10 -- reserved
	local len2 = math.max(13, scramble_len - 8) - 1 -- the rest of the scramble, then a NUL
	local scramble2 = packet:sub(pos, pos + len2 - 1)
	pos = pos + len2 + 1
	local plugin = "mysql_native_password"
	if self._server_capabilities & CLIENT_PLUGIN_AUTH ~= 0 and pos <= #packet then
		plugin = string.unpack("z", packet .. "\0", pos)
	end
	return scramble1 .. scramble2, plugin
end

local function read_one_packet(sock)
	return true, table.pack(read_packet(sock))
end

-- The auth step of every (re)connect: the server's handshake, our
-- answer, an authentication method switch if the server asks, then OK;
-- on_connect runs last.
local function login(self, opts)
	local user = opts.user or ""
	local password = opts.password or ""
	local database = opts.database or ""
	local charset = CHARSET[opts.charset or "_default"]
	if not charset then
		error("mysql: unknown charset " .. tostring(opts.charset), 3)
	end
	return function(channel)
		local handshake = channel:response(read_one_packet)
		local scramble, plugin = read_handshake(self, handshake[1])
		local answer = string.pack("<I4I4B" .. string.rep("x", 23) .. "zs1zz",
			CLIENT_FLAGS, self._max_packet_size, charset, user,
			auth_response(plugin, password, scramble), database, plugin)
		local reply = channel:request(frame(answer, handshake[2] + 1), read_one_packet)
		while true do
			local packet, seq = reply[1], reply[2]
			local first = packet:byte(1)
			if first == 0x00 then
				break
			elseif first == 0xff then
				local errno, msg, sqlstate = parse_err(packet)
				error(string.format("errno:%d, msg:%s,sqlstate:%s", errno, msg, sqlstate or ""), 0)
			elseif first == 0xfe and #packet > 1 then
				local pos
				plugin, pos = string.unpack("z", packet, 2)
				scramble = packet:sub(pos):gsub("%z$", "")
				reply = channel:request(frame(auth_response(plugin, password, scramble), seq + 1), read_one_packet)
			else
				error(string.format("mysql: unexpected packet 0x%02x during login", first), 0)
			end
		end
		if opts.on_connect then
			opts.on_connect(self)
		end
	end
end

---------------------------------------------------------------- API

function mysql.connect(opts)
	assert(type(opts) == "table", "mysql.connect needs an options table")
	local self = setmetatable({
		_max_packet_size = opts.max_packet_size or 1024 * 1024,
		compact = opts.compact_arrays,
	}, meta)
	self.sockchannel = socketchannel.channel {
		host = opts.host or "127.0.0.1",
		port = opts.port or 3306,
		auth = login(self, opts),
		overload = opts.overload,
	}
	self.sockchannel:connect(true)
	return self
end

function mysql:disconnect()
	self.sockchannel:close()
	setmetatable(self, nil)
end

-- the reader of text protocol replies, made once per connection
local function text_results(self)
	local reader = self.query_reader or results_reader(self, text_row)
	self.query_reader = reader
	return reader
end

function mysql:query(sql)
	local reader = text_results(self)
	return self.sockchannel:request(command(COM_QUERY, sql), reader)
end

function mysql:ping()
	local reader = text_results(self)
	return self.sockchannel:request(command(COM_PING), reader)
end

local function read_prepared(sock)
	local packet = read_packet(sock)
	local first = packet:byte(1)
	if first == 0xff then
		local errno, msg, sqlstate = parse_err(packet)
		return true, bad_result({}, msg, errno, sqlstate)
	elseif first ~= 0x00 then
		error(string.format("mysql: unexpected packet 0x%02x after prepare", first), 0)
	end
	local stmt = {}
	stmt.prepare_id, stmt.field_count, stmt.param_count, stmt.warning_count =
		string.unpack("<I4I2I2xI2", packet, 2)
	stmt.params = read_columns(sock, stmt.param_count)
	stmt.fields = read_columns(sock, stmt.field_count)
	return true, stmt
end

-- Prepares sql: a statement table (prepare_id, param_count, field_count,
-- params, fields) or a bad result.
function mysql:prepare(sql)
	return self.sockchannel:request(command(COM_STMT_PREPARE, sql), read_prepared)
end

-- parameter encoders: type code and value bytes
local function encode_param(v)
	local t = math.type(v) or type(v)
	if t == "integer" then
		return string.pack("<I2", 0x08), string.pack("<i8", v)
	elseif t == "float" then
		return string.pack("<I2", 0x05), string.pack("<d", v)
	elseif t == "string" then
		return string.pack("<I2", 0x0f), encode_lenenc(#v) .. v
	elseif t == "boolean" then
		return string.pack("<I2", 0x01), v and "\1" or "\0"
	elseif t == "nil" then
		return string.pack("<I2", 0x06), ""
	end
	error("invalid parameter type " .. t, 3)
end

local function execute_packet(stmt, args)
	if args.n ~= stmt.param_count then
		error("require stmt.param_count " .. stmt.param_count .. " get arg_num " .. args.n, 3)
	end
	local body = { string.pack("<I4BI4", stmt.prepare_id, 0, 1) }
	if args.n > 0 then
		local bitmap = {}
		for byte = 1, (args.n + 7) // 8 do
			local bits = 0
			for bit = 0, 7 do
				local i = (byte - 1) * 8 + bit + 1
				if i <= args.n and args[i] == nil then
					bits = bits | (1 << bit)
				end
			end
			bitmap[byte] = string.char(bits)
		end
		local types, values = {}, {}
		for i = 1, args.n do
			types[i], values[i] = encode_param(args[i])
		end
		body[2] = table.concat(bitmap) .. "\1" .. table.concat(types) .. table.concat(values)
	end
	return command(COM_STMT_EXECUTE, table.concat(body))
end

-- Runs a prepared statement with its parameters (integers, floats,
-- strings, booleans, nil): rows, an OK table or a bad result, like query.
function mysql:execute(stmt, ...)
	if type(stmt) ~= "table" or not stmt.prepare_id then
		error("mysql execute: not a prepared statement", 2)
	end
	local reader = self.execute_reader or results_reader(self, binary_row)
	self.execute_reader = reader
	return self.sockchannel:request(execute_packet(stmt, table.pack(...)), reader)
end

function mysql:stmt_reset(stmt)
	local reader = text_results(self)
	return self.sockchannel:request(command(COM_STMT_RESET, string.pack("<I4", stmt.prepare_id)), reader)
end

-- no reply: the server just forgets the statement
function mysql:stmt_close(stmt)
	return self.sockchannel:request(command(COM_STMT_CLOSE, string.pack("<I4", stmt.prepare_id)))
end

function mysql:server_ver()
	return self._server_ver
end

function mysql:set_compact_arrays(value)
	self.compact = value
end

local escapes = {
	["\0"] = "\\0", ["\b"] = "\\b", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
	["\26"] = "\\Z", ["\\"] = "\\\\", ["'"] = "\\'", ['"'] = '\\"',
}

-- s as a quoted SQL string literal
function mysql.quote_sql_str(s)
	return "'" .. string.gsub(s, "[%z\b\n\r\t\26\\'\"]", escapes) .. "'"
end

return mysql
