-- http.url: splitting a request target and decoding its query string.
local url = {}

local function unescape(s)
	s = s:gsub("+", " ")
	return (s:gsub("%%(%x%x)", function(hex)
		return string.char(tonumber(hex, 16))
	end))
end

-- parse("/path?query") -> decoded path, raw query ("" when there is none)
function url.parse(u)
	local path, query = u:match("^([^?]*)%??(.*)$")
	return unescape(path), query
end

-- parse_query("a=1&b=2&a=3") -> { a = { "1", "3" }, b = "2" }; a key seen
-- more than once collects its values in order
function url.parse_query(q)
	local result = {}
	for pair in q:gmatch("[^&]+") do
		local k, v = pair:match("^([^=]*)=(.*)$")
		if k then
			k, v = unescape(k), unescape(v)
			local old = result[k]
			if old == nil then
				result[k] = v
			elseif type(old) == "table" then
				old[#old + 1] = v
			else
				result[k] = { old, v }
			end
		end
	end
	return result
end

return url
