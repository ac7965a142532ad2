-- The node of test/sh/test_socket_fuzz.sh: calls every function of
-- skynet.socketdriver and skynet.netpack many times with random arguments
-- of every type but lightuserdata (nil, booleans, integers at the edges,
-- floats, strings short, binary and long, tables, functions, threads, and
-- full userdata of the wrong kind: a socket buffer, a file), including
-- live socket ids.  Each call must return or raise a Lua
-- error; the node must not crash.  Prints "FUZZ PASS" and the counts.
local skynet = require "skynet"
local socket = require "skynet.socket"
local driver = require "skynet.socketdriver"
local netpack = require "skynet.netpack"

local ROUNDS = tonumber(skynet.getenv "fuzz_rounds") or 3000
local SEED = tonumber(skynet.getenv "fuzz_seed") or 20261129

-- functions whose integer arguments are file descriptors of this process:
-- bind(1) would take stdout away from the log.  They get every other type.
local FD_TAKING = { bind = true }
-- these hand back a C block (lightuserdata, size) that the caller frees
local RETURNS_BLOCK = { str2p = true, pack = true }

local function values(live)
	local file = io.open("/dev/null", "rb")
	local v = {
		false, true, 0, 1, -1, 2, 3, 7, 255, 65535, 65536, 2^31, -2^31 - 1,
		math.maxinteger, math.mininteger, 0.5, -0.0, 1 / 0, -1 / 0, 0 / 0, 1e300,
		"", "0", "7", "-1", "127.0.0.1", "::1", "127.0.0.1:0", "\0abc",
		"\1\0\7\127\0\0\1", "\2\0\7" .. string.rep("\0", 15) .. "\1", -- udp addresses
		string.rep("\0", 19), string.rep("9", 100000), string.rep("\255", 70000),
		{}, { 1, 2, 3 }, { "a", "bc" }, { {} }, { "x", 1 }, setmetatable({}, { __len = function() error "len" end }),
		setmetatable({}, { __index = function() error "index" end }),
		print, coroutine.create(print),
		driver.buffer(), file,
	}
	for _, id in ipairs(live) do
		v[#v + 1] = id
	end
	return v, file
end

local function pick(v)
	local i = math.random(#v + 1)
	return v[i] -- #v + 1: nil
end

local function is_integer(x)
	return math.tointeger(x) ~= nil or (type(x) == "string" and math.tointeger(tonumber(x) or 0.5) ~= nil)
end

local function fuzz(name, f, v)
	local calls, errors = 0, 0
	for round = 1, ROUNDS do
		if round % 200 == 0 then
			skynet.yield() -- one message at a time stays short, even under ASan
		end
		local n = math.random(0, 5)
		local args = {}
		for i = 1, n do
			args[i] = pick(v)
		end
		if FD_TAKING[name] and is_integer(args[1]) then
			args[1] = "not an fd"
		end
		local ok, a, b = pcall(f, table.unpack(args, 1, n))
		calls = calls + 1
		if not ok then
			errors = errors + 1
		elseif RETURNS_BLOCK[name] and a ~= nil then
			driver.drop(a, b)
		end
	end
	return calls, errors
end

skynet.start(function()
	math.randomseed(SEED)
	-- live sockets, so that sends and reads reach real sockets
	local listener, _, port = socket.listen("127.0.0.1", 0)
	socket.start(listener, function(id) socket.start(id) end)
	local client = assert(socket.open("127.0.0.1", port))
	local udp = socket.udp(function() end, "127.0.0.1", 0)
	local v, file = values { listener, client, udp }
	local names = {}
	for _, lib in ipairs { { "socketdriver", driver }, { "netpack", netpack } } do
		for name, f in pairs(lib[2]) do
			if type(f) == "function" then
				names[#names + 1] = { lib[1] .. "." .. name, name, f }
			end
		end
	end
	table.sort(names, function(a, b) return a[1] < b[1] end)
	local total = 0
	for _, entry in ipairs(names) do
		local calls, errors = fuzz(entry[2], entry[3], v)
		total = total + calls
		print(string.format("FUZZ %-26s %d calls, %d errors", entry[1], calls, errors))
	end
	file:close()
	print(string.format("FUZZ PASS: %d functions, %d calls, seed %d", #names, total, SEED))
end)
