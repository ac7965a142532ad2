-- skynet.datasheet.dump: the compiled (binary) form of a datasheet, in
-- skynet's format, byte for byte, so sheets compiled by either framework load
-- in the other.
--
--   dump(table) -> string          compile (builder.compile)
--   undump(string) -> table, map   the table back (map: each table -> its number)
--   diff(last, current) -> string  current, with the tables that stand at the
--                                  same place (keys from the root) as in last
--                                  keeping last's numbers
--
-- The format (little endian, every field 4 bytes unless told):
--   document: strings_at, n, offset[n] (of each table, from the end of this
--             array; 0xffffffff: none), the tables, then the strings, each
--             ending in a zero byte (strings_at: where they start)
--   table:    array, dict, one type byte per value (array values, then dict
--             values), zero bytes up to a multiple of 4, array values, then
--             dict pairs (key: string offset, value)
--   values:   1 integer (int32), 2 real (float32), 3 boolean, 4 table number,
--             5 string (offset in the strings)
-- So only integers that fit in 32 bits stay exact (other numbers become
-- 32-bit floats), keys are strings or the array part 1..n, and a string may
-- hold no zero byte.  Tables are numbered depth first from the root (0); a
-- table met twice is written twice, as skynet does.
local dump = {}

local T_INTEGER, T_REAL, T_BOOLEAN, T_TABLE, T_STRING = 1, 2, 3, 4, 5
local NONE = 0xffffffff

local function path_of(path)
	return #path == 0 and "the root" or "[" .. table.concat(path, ".") .. "]"
end

function dump.dump(root)
	if type(root) ~= "table" then
		error("datasheet: a table expected to compile, got " .. type(root), 2)
	end
	local blobs = {}       -- table number + 1 -> its bytes
	local strings = {}     -- in order of their offsets
	local offset_of = {}   -- string -> its offset
	local pool = 0         -- bytes of strings so far
	local open = {}        -- the tables being written (a cycle comes back to one)
	local path = {}        -- keys from the root, for error messages

	local function string_offset(s)
		local at = offset_of[s]
		if not at then
			if s:find("\0", 1, true) then
				error("datasheet: a string with a zero byte at " .. path_of(path), 0)
			end
			at = pool
			pool = pool + #s + 1
			offset_of[s] = at
			strings[#strings + 1] = s
		end
		return at
	end

	local write_table

	-- the type byte and the 4 bytes of a value
	local function encode(v)
		local kind = type(v)
		if kind == "number" then
			local i = math.tointeger(v)
			if i and i >= -0x80000000 and i <= 0x7fffffff then
				return T_INTEGER, string.pack("<i4", i)
			end
			return T_REAL, string.pack("<f", v)
		elseif kind == "boolean" then
			return T_BOOLEAN, v and "\0\0\0\1" or "\0\0\0\0"
		elseif kind == "string" then
			return T_STRING, string.pack("<I4", string_offset(v))
		elseif kind == "table" then
			return T_TABLE, string.pack("<I4", write_table(v))
		end
		error("datasheet: unsupported value type " .. kind .. " at " .. path_of(path), 0)
	end

	function write_table(t)
		if open[t] then
			error("datasheet: a cycle at " .. path_of(path), 0)
		end
		open[t] = true
		local number = #blobs
		blobs[number + 1] = false -- numbered before the tables inside it
		local types, values, pairs_ = {}, {}, {}
		local n = 0
		for i, v in ipairs(t) do
			path[#path + 1] = i
			types[i], values[i] = encode(v)
			path[#path] = nil
			n = i
		end
		for k, v in pairs(t) do
			if type(k) == "string" then
				path[#path + 1] = k
				local _, key = encode(k)
				local vt, value = encode(v)
				path[#path] = nil
				types[#types + 1] = vt
				pairs_[#pairs_ + 1] = key .. value
			elseif not (math.type(k) == "integer" and k >= 1 and k <= n) then
				path[#path + 1] = tostring(k)
				error("datasheet: a key must be a string or in the array part, not " .. path_of(path), 0)
			end
		end
		for i, vt in ipairs(types) do
			types[i] = string.char(vt)
		end
		local typebytes = table.concat(types)
		blobs[number + 1] = string.pack("<i4i4", n, #pairs_) .. typebytes
			.. string.rep("\0", -#typebytes & 3) .. table.concat(values) .. table.concat(pairs_)
		open[t] = nil
		return number
	end

	write_table(root)
	local index, at = {}, 0
	for i, blob in ipairs(blobs) do
		index[i] = string.pack("<I4", at)
		at = at + #blob
	end
	return string.pack("<I4I4", 8 + 4 * #blobs + at, #blobs) .. table.concat(index)
		.. table.concat(blobs) .. table.concat(strings, "\0") .. "\0"
end

-- reads a compiled sheet, checking every offset; returns a reader object
local function open_document(s)
	if type(s) ~= "string" then
		error("datasheet: a compiled sheet (string) expected, got " .. type(s), 3)
	end
	local function bad(fmt, ...)
		error("datasheet: bad compiled sheet: " .. string.format(fmt, ...), 0)
	end
	if #s < 8 then
		bad("%d bytes", #s)
	end
	local strings_at, n = string.unpack("<I4I4", s)
	local tables_at = 8 + 4 * n -- where the tables start (0-based)
	if n == 0 or tables_at > strings_at or strings_at >= #s then
		bad("header (%d tables, strings at %d of %d bytes)", n, strings_at, #s)
	end
	local doc = { s = s, n = n, bad = bad }

	local strings = {}
	function doc.string(at)
		local str = strings[at]
		if str then
			return str
		end
		local first = strings_at + at + 1
		local zero = first <= #s and s:find("\0", first, true)
		if not zero then
			bad("string offset %d", at)
		end
		str = s:sub(first, zero - 1)
		strings[at] = str
		return str
	end

	-- the layout of table number i: array, dict, where its type bytes and values start
	function doc.table(i)
		if i >= n then
			bad("table %d of %d", i, n)
		end
		local off = string.unpack("<I4", s, 9 + 4 * i)
		if off == NONE then
			bad("table %d is gone", i)
		end
		local at = tables_at + off + 1
		if at + 8 > strings_at + 1 then
			bad("table %d at %d", i, off)
		end
		local array, dict = string.unpack("<I4I4", s, at)
		local count = array + dict
		local values_at = at + 8 + ((count + 3) & ~3)
		if values_at + 4 * (array + 2 * dict) > strings_at + 1 then
			bad("table %d (%d + %d values) runs past the tables", i, array, dict)
		end
		return array, dict, at + 8, values_at
	end
	return doc
end

-- the Lua value of type t whose 4 bytes are at pos; a table is asked of table(number)
local function decode(doc, t, pos, table_of)
	local s = doc.s
	if t == T_INTEGER then
		return (string.unpack("<i4", s, pos))
	elseif t == T_REAL then
		return (string.unpack("<f", s, pos))
	elseif t == T_BOOLEAN then
		return string.unpack("<i4", s, pos) ~= 0
	elseif t == T_STRING then
		return doc.string((string.unpack("<I4", s, pos)))
	elseif t == T_TABLE then
		return table_of((string.unpack("<I4", s, pos)))
	end
	doc.bad("value type %d at %d", t, pos - 1)
end

function dump.undump(s)
	local doc = open_document(s)
	local made, number, queue = {}, {}, {}
	-- tables are made when first met and filled in turn, so nesting costs no stack
	local function table_of(i)
		local t = made[i]
		if not t then
			doc.table(i) -- checks it exists
			t = {}
			made[i] = t
			number[t] = i
			queue[#queue + 1] = i
		end
		return t
	end
	local root = table_of(0)
	local head = 1
	while queue[head] do
		local i = queue[head]
		head = head + 1
		local t = made[i]
		local array, dict, types_at, pos = doc.table(i)
		for k = 1, array do
			t[k] = decode(doc, s:byte(types_at + k - 1), pos, table_of)
			pos = pos + 4
		end
		for k = 1, dict do
			local key = doc.string((string.unpack("<I4", s, pos)))
			t[key] = decode(doc, s:byte(types_at + array + k - 1), pos + 4, table_of)
			pos = pos + 8
		end
	end
	return root, number
end

-- new number -> last number of the tables of current found at the same
-- place as in last (each last table matched once)
local function matching(last, current)
	local last_root, last_number = dump.undump(last)
	local root, number = dump.undump(current)
	local map, taken = {}, {}
	local function match(old, new)
		local i, j = last_number[old], number[new]
		if map[j] or taken[i] then
			return
		end
		map[j], taken[i] = i, true
		for k, v in pairs(old) do
			local nv = new[k]
			if type(v) == "table" and type(nv) == "table" then
				match(v, nv)
			end
		end
	end
	match(last_root, root)
	return map
end

-- the bytes of table i of doc with the numbers of the tables inside it
-- changed as map says
local function renumbered(doc, i, map)
	local s = doc.s
	local array, dict, types_at, pos = doc.table(i)
	local parts = { s:sub(types_at - 8, pos - 1) } -- the counts, types and padding
	for k = 1, array + dict do
		local at = pos + 4 * (k - 1) -- an array value
		if k > array then -- a pair: its key, then its value
			at = pos + 4 * array + 8 * (k - array - 1)
			parts[#parts + 1] = s:sub(at, at + 3)
			at = at + 4
		end
		if s:byte(types_at + k - 1) == T_TABLE then
			local j = string.unpack("<I4", s, at)
			parts[#parts + 1] = string.pack("<I4", map[j] or doc.bad("table %d of %d", j, doc.n))
		else
			parts[#parts + 1] = s:sub(at, at + 3)
		end
	end
	return table.concat(parts)
end

function dump.diff(last, current)
	local map = matching(last, current)
	local doc = open_document(current)
	local s, n = doc.s, doc.n
	local last_n = open_document(last).n
	local total = last_n
	for i = 0, n - 1 do
		if not map[i] then
			map[i] = total
			total = total + 1
		end
	end
	local offsets = {}
	for i = 1, total do
		offsets[i] = NONE
	end
	local blobs, at = {}, 0
	for i = 0, n - 1 do
		if string.unpack("<I4", s, 9 + 4 * i) ~= NONE then
			local blob = renumbered(doc, i, map)
			offsets[map[i] + 1] = at
			at = at + #blob
			blobs[#blobs + 1] = blob
		end
	end
	local index = {}
	for i = 1, total do
		index[i] = string.pack("<I4", offsets[i])
	end
	local strings_at = string.unpack("<I4", s)
	return string.pack("<I4I4", 8 + 4 * total + at, total) .. table.concat(index)
		.. table.concat(blobs) .. s:sub(strings_at + 1)
end

return dump
