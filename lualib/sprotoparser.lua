-- sprotoparser: sproto schema text -> the binary schema that sproto.new loads.
--
--   .Type { field 0 : integer   list 1 : *Other   money 2 : integer(2)
--           byid 3 : *Other(id) dict 4 : *Pair()  .Nested { ... } }
--   name 1 { request Type  response { ok 0 : boolean } }   # or: response nil
--
-- The binary is itself a sproto message (see lualib-src/sproto/sproto_schema.c):
-- types sorted by name (a type's id is its position), protocols by tag.
local lpeg = require "lpeg"

local P, R, S, C, Cc, Cmt, Carg, Ct, V =
	lpeg.P, lpeg.R, lpeg.S, lpeg.C, lpeg.Cc, lpeg.Cmt, lpeg.Carg, lpeg.Ct, lpeg.V

-- grammar

-- counts each line break once, however often backtracking crosses it
local function count_line(_, pos, state)
	if pos > state.lastbreak then
		state.lastbreak = pos
		state.line = state.line + 1
	end
	return pos
end

local linebreak = Cmt((P"\r\n" + "\n") * Carg(1), count_line)
local comment = "#" * (1 - P"\r\n" - "\n") ^ 0 * (linebreak + -P(1))
local blank = S" \t" + linebreak + comment
local skip = blank ^ 0
local space = blank ^ 1

local letter = R("az", "AZ") + "_"
local word = letter * (letter + R"09") ^ 0
local number = R"09" ^ 1 / tonumber
local dotted = C(word * ("." * word) ^ 0)

-- items of a block are separated by blanks
local function items(item)
	return Ct(skip * (item * space) ^ 0 * item ^ 0 * skip)
end

local function field(name, tag, array, typename, suffix)
	return { kind = "field", name = name, tag = tag, array = array, typename = typename, suffix = suffix }
end

local function nested(name, body)
	return { kind = "type", name = name, body = body }
end

local function protocol(name, tag, subs)
	return { kind = "protocol", name = name, tag = tag, subs = subs }
end

local function sub(what, typename)
	return { what = what, typename = typename }
end

-- "(id)" names a main index, "()" makes a map, "(2)" a decimal's digits
local suffix = "(" * skip * (number / function(n) return { decimal = n } end
	+ C(word ^ -1) / function(k) return { key = k } end) * skip * ")"

local schema = P {
	"schema",
	field = C(word) * space * number * skip * ":" * skip * (P"*" * Cc(true) + Cc(false))
		* dotted * (suffix + Cc(false)) / field,
	block = "{" * items(V"field" + V"type") * "}",
	type = "." * C(word) * skip * V"block" / nested,
	sub = C(P"request" + "response") * space * (dotted + V"block") / sub,
	protocol = C(word) * space * number * skip * "{" * items(V"sub") * "}" / protocol,
	schema = items(V"type" + V"protocol"),
}

local document = skip * schema * skip * -P(1)

local function syntax_error(_, _, state)
	error(string.format("syntax error at [%s] line (%d)", state.file or "", state.line))
end

local function parse_text(text, file)
	local state = { file = file, line = 1, lastbreak = 0 }
	return lpeg.match(document + Cmt(Carg(1), syntax_error), text, 1, state)
end

-- from the syntax tree to named types and protocols

local add_type

local function add_fields(types, typename, body)
	local fields, names, tags = {}, {}, {}
	for _, item in ipairs(body) do
		if item.kind == "type" then
			add_type(types, typename .. "." .. item.name, item.body)
		else
			if names[item.name] then
				error(string.format("redefine %s in type %s", item.name, typename))
			end
			if tags[item.tag] then
				error(string.format("redefine tag %d in type %s", item.tag, typename))
			end
			names[item.name], tags[item.tag] = true, true
			local f = { name = item.name, tag = item.tag, array = item.array, typename = item.typename }
			local s = item.suffix
			if s and s.decimal then
				if item.typename ~= "integer" then
					error(string.format("%s in type %s: only an integer has decimal digits", item.name, typename))
				end
				f.decimal = s.decimal
			elseif s then
				if not item.array then
					error(string.format("%s in type %s: a main index needs an array", item.name, typename))
				end
				f.key = s.key
			end
			fields[#fields + 1] = f
		end
	end
	table.sort(fields, function(a, b) return a.tag < b.tag end)
	return fields
end

function add_type(types, typename, body)
	if types[typename] then
		error("redefined " .. typename)
	end
	types[typename] = true -- reserved while its nested types are added
	types[typename] = add_fields(types, typename, body)
end

local function add_protocol(types, protocols, item)
	if protocols[item.name] then
		error("redefined " .. item.name)
	end
	local p = { name = item.name, tag = item.tag }
	for _, s in ipairs(item.subs) do
		if p[s.what] ~= nil then
			error(string.format("redefine %s in protocol %s", s.what, item.name))
		end
		local typename = s.typename
		if type(typename) == "table" then
			local inline = typename
			typename = item.name .. "." .. s.what
			add_type(types, typename, inline)
		end
		if typename == "nil" then
			p.confirm = p.confirm or s.what == "response"
		else
			p[s.what] = typename
		end
	end
	protocols[item.name] = p
end

local builtin = { integer = 0, boolean = 1, string = 2, binary = 2, double = 3 }

-- a field's type name is looked up in its type, then in each enclosing one, then globally
local function resolve(types, scope, name)
	if builtin[name] then
		return name
	end
	while scope do
		local full = scope .. "." .. name
		if types[full] then
			return full
		end
		scope = scope:match "^(.+)%.[^.]+$"
	end
	if types[name] then
		return name
	end
end

local function check(types, protocols)
	for typename, fields in pairs(types) do
		for _, f in ipairs(fields) do
			local full = resolve(types, typename, f.typename)
			if not full then
				error(string.format("Undefined type %s in type %s", f.typename, typename))
			end
			f.typename = full
		end
	end
	local bytag = {}
	for name, p in pairs(protocols) do
		if bytag[p.tag] then
			error(string.format("redefined protocol tag %d at %s", p.tag, name))
		end
		bytag[p.tag] = p
		for _, what in ipairs { "request", "response" } do
			if p[what] and not types[p[what]] then
				error(string.format("Undefined %s type %s in protocol %s", what, p[what], name))
			end
		end
	end
end

-- binary output

local function blob(s)
	return string.pack("<s4", s)
end

-- a sproto struct whose fields are record[0..max]: an integer goes inline,
-- a string to the data part; each missing tag takes one skip record
local function struct(record, max)
	local header, data = { string.pack("<I2", max + 1) }, {}
	for tag = 0, max do
		local v = record[tag]
		if v == nil then
			header[#header + 1] = "\1\0"
		elseif type(v) == "string" then
			header[#header + 1] = "\0\0"
			data[#data + 1] = blob(v)
		else
			if v < 0 or v > 0x7ffe then
				error(string.format("value %d out of range in sproto schema", v))
			end
			header[#header + 1] = string.pack("<I2", (v + 1) * 2)
		end
	end
	return table.concat(header) .. table.concat(data)
end

local function last_tag(record, max)
	while max >= 0 and record[max] == nil do
		max = max - 1
	end
	return max
end

local function encode_record(record, max)
	return blob(struct(record, last_tag(record, max)))
end

-- the tag of the field that indexes an array of structs (the key of a map)
local function index_tag(types, f)
	local fields = types[f.typename]
	if type(fields) ~= "table" then
		error("Invalid map index :" .. f.key)
	end
	local key
	if f.key == "" then
		if #fields ~= 2 then
			error(string.format("Invalid map definition: %s, must only have two fields", f.name))
		end
		key = fields[1]
	else
		for _, sf in ipairs(fields) do
			if sf.name == f.key then
				key = sf
			end
		end
	end
	if not key or not builtin[key.typename] then
		error("Invalid map index :" .. (key and key.name or f.key))
	end
	return key.tag
end

local function encode_field(types, ids, f)
	local r = { [0] = f.name, [3] = f.tag }
	local kind = builtin[f.typename]
	if kind then
		r[1] = kind
		r[2] = f.decimal or (f.typename == "binary" and 1) or nil
	else
		r[2] = ids[f.typename]
	end
	if f.array then
		r[4] = 1
		if f.key then
			r[5] = index_tag(types, f)
			r[6] = f.key == "" and 1 or nil
		end
	end
	return encode_record(r, 6)
end

local function encode_type(types, ids, name)
	local fields = {}
	for i, f in ipairs(types[name]) do
		fields[i] = encode_field(types, ids, f)
	end
	return encode_record({ [0] = name, [1] = #fields > 0 and table.concat(fields) or nil }, 1)
end

local function encode_protocol(ids, p)
	local r = { [0] = p.name, [1] = p.tag, [2] = ids[p.request], [3] = ids[p.response] }
	if p.confirm and not p.response then
		r[4] = 1
	end
	return encode_record(r, 4)
end

local function encode(types, protocols)
	local names = {}
	for name in pairs(types) do
		names[#names + 1] = name
	end
	table.sort(names)
	local ids = {}
	for i, name in ipairs(names) do
		ids[name] = i - 1
	end
	local list = {}
	for _, p in pairs(protocols) do
		list[#list + 1] = p
	end
	table.sort(list, function(a, b) return a.tag < b.tag end)
	local group = {}
	if #names > 0 or #list > 0 then
		local t = {}
		for i, name in ipairs(names) do
			t[i] = encode_type(types, ids, name)
		end
		group[0] = table.concat(t)
	end
	if #list > 0 then
		local t = {}
		for i, p in ipairs(list) do
			t[i] = encode_protocol(ids, p)
		end
		group[1] = table.concat(t)
	end
	return struct(group, last_tag(group, 1))
end

local parser = {}

function parser.parse(text, name)
	local tree = parse_text(text, name or "=text")
	local types, protocols = {}, {}
	for _, item in ipairs(tree) do
		if item.kind == "type" then
			add_type(types, item.name, item.body)
		else
			add_protocol(types, protocols, item)
		end
	end
	check(types, protocols)
	return encode(types, protocols)
end

-- prints a binary schema in hex, 16 bytes a line
function parser.dump(bin)
	for i = 1, #bin, 16 do
		local line = {}
		for j = i, math.min(i + 15, #bin) do
			line[#line + 1] = string.format("%02X", bin:byte(j))
			if j - i == 7 then
				line[#line + 1] = "-"
			end
		end
		print(table.concat(line, " "))
	end
end

return parser
