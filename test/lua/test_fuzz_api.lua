-- Every function of skynet.core, skynet.memory and skynet.debughook, and the
-- serialisation functions, called with random arguments (nil, booleans,
-- numbers, strings, tables; never lightuserdata, which are raw pointers by
-- contract): each call either works or raises a Lua error with a message,
-- and the node keeps running (a crash ends the node before TEST PASS).
-- FUZZ_SEED in the environment replays a run; FUZZ_ROUNDS sets its length.
local skynet = require "skynet"
local core = require "skynet.core"
local memory = require "skynet.memory"
local debughook = require "skynet.debughook"
local T = require "testlib"

local seed = tonumber(os.getenv "FUZZ_SEED") or os.time()
local rounds = tonumber(os.getenv "FUZZ_ROUNDS") or 300
math.randomseed(seed)
local random = math.random

local INTEGERS = { 0, 1, -1, 2, 3, 7, 10, 255, 256, 0x7fff, 0xffff, 0x10000, 0x1000a, 0x20000,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, math.maxinteger, math.mininteger }
local FLOATS = { 0.5, -0.0, 1e300, -1e300, 1 / 0, -1 / 0, 0 / 0, 2.0 ^ 31, 2.0 ^ 63, 3.0 }
local WORDS = { "", " ", "lua", "text", "REG", "QUERY", ".launcher", ":0", ":ffffffff", "12",
	"0x10", "-5", "1e3", "nan", "\0", "a\0b", "%s%n%p", "snlua", "snlua no_such_service_x", "logger" }

local function random_bytes(n)
	local t = {}
	for i = 1, n do
		t[i] = string.char(random(0, 255))
	end
	return table.concat(t)
end

local random_value

local function random_table(depth)
	local t = {}
	for i = 1, random(0, 4) do
		t[i] = random_value(depth + 1)
	end
	if random(3) == 1 then
		t[random_bytes(random(1, 4))] = random_value(depth + 1)
	end
	local kind = random(8)
	if kind == 1 then
		setmetatable(t, { __tostring = function() error("__tostring raises") end })
	elseif kind == 2 then
		setmetatable(t, { __tostring = function() return {} end })
	elseif kind == 3 then
		setmetatable(t, { __pairs = function() error("__pairs raises") end })
	elseif kind == 4 then
		setmetatable(t, { __index = function() error("__index raises") end,
			__len = function() return math.maxinteger end })
	elseif kind == 5 then
		t.self = t -- a cycle
	end
	return t
end

function random_value(depth)
	depth = depth or 0
	local kind = random(depth > 2 and 7 or 8)
	if kind == 1 then
		return nil
	elseif kind == 2 then
		return random(2) == 1
	elseif kind == 3 then
		return INTEGERS[random(#INTEGERS)] * (random(4) == 1 and -1 or 1)
	elseif kind == 4 then
		return FLOATS[random(#FLOATS)]
	elseif kind == 5 then
		return random(-1000, 1000)
	elseif kind == 6 then
		return WORDS[random(#WORDS)]
	elseif kind == 7 then
		return random_bytes(random(0, random(2) == 1 and 16 or 300))
	else
		return random_table(depth)
	end
end

local function random_args()
	local args = { n = random(0, 5) }
	for i = 1, args.n do
		args[i] = random_value()
	end
	return args
end

-- a service to send to: sending to random handles would disturb the node's
-- own services, which is not what this test is about
local sink

-- argument i of some functions names a service: the sink, this service, a
-- handle that does not exist, or any random value
local function address_or_random()
	local kind = random(4)
	if kind == 1 then
		return sink
	elseif kind == 2 then
		return skynet.self()
	elseif kind == 3 then
		return 0xfffff0 + random(0, 15)
	end
	local v = random_value()
	if math.type(v) == "integer" then
		v = v | 0x800000 -- never an existing local service
	elseif type(v) == "string" and v:find "^[.:]" then
		v = "x" .. v -- never an existing name or address
	end
	return v
end

-- commands that end this service or the node, or redirect messages of
-- other services, are left out: their effect is their purpose
local SAFE_COMMANDS = { "TIMEOUT", "REG", "QUERY", "NAME", "LAUNCH", "GETENV", "SETENV",
	"STARTTIME", "STAT", "LOGON", "LOGOFF", "NO_SUCH_COMMAND" }

local shapers = {} -- name -> function(args): makes the arguments safe to aim

function shapers.send(args)
	args[1] = address_or_random()
	args.n = math.max(args.n, 1)
end

function shapers.redirect(args)
	args[1] = address_or_random()
	args[2] = address_or_random()
	args.n = math.max(args.n, 2)
end

function shapers.timeout(args)
	args[3] = random(2) == 1 and skynet.self() or address_or_random()
	if math.type(args[1]) == "integer" and args[1] < 1000 then
		args[1] = 100000 + random(0, 1000) -- nothing fires during the test
	end
	args.n = math.max(args.n, 3)
end

local function shape_command(args)
	if random(3) > 1 then
		args[1] = SAFE_COMMANDS[random(#SAFE_COMMANDS)]
		args.n = math.max(args.n, 1)
	elseif args[1] == "EXIT" or args[1] == "ABORT" then
		args[1] = "REG"
	end
	if args[1] == "SETENV" and type(args[2]) == "string" then
		args[2] = "fuzz_" .. args[2] -- never overwrites a real key
	end
end
shapers.command = shape_command
shapers.intcommand = shape_command
shapers.addresscommand = shape_command

local calls, errors = 0, 0

local function try(modname, name, f)
	local args = random_args()
	local shaper = shapers[name]
	if shaper then
		shaper(args)
	end
	calls = calls + 1
	local r = table.pack(pcall(f, table.unpack(args, 1, args.n)))
	if not r[1] then
		errors = errors + 1
		if type(r[2]) ~= "string" then
			error(string.format("%s.%s raised a %s, want a message", modname, name, type(r[2])))
		end
	elseif f == core.pack then
		core.trash(r[2], r[3]) -- the packed buffer is ours to free
	end
end

local function fuzz_module(modname, mod, skip)
	local names = {}
	for name, f in pairs(mod) do
		if type(f) == "function" and not skip[name] then
			names[#names + 1] = name
		end
	end
	table.sort(names)
	for _, name in ipairs(names) do
		try(modname, name, mod[name])
	end
	return #names
end

-- functions that log on every call: a few rounds of them are enough;
-- lastsession(n) moves the session counter, so that new calls would take
-- the sessions of the random requests sent to the sink and match their
-- stray answers: its effect is its purpose
local core_skip, memory_skip = { lastsession = true }, {}

-- the faults found by hand before the fuzzing found more
local function known_faults()
	T.raises("bad argument #1", skynet.tostring, "abc", 3)
	T.raises("bad argument #1", skynet.tostring, {}, 3)
	T.raises("bad argument #2", skynet.unpack, io.stdout, 1 << 20)
	T.raises("bad argument #1", skynet.unpack, 42, 1)
	-- the bits above 0xff of a type would make the core take a Lua string
	-- as a buffer of its own (and free it)
	T.raises("out of range", core.send, sink, 0x10000 | skynet.PTYPE_LUA, 0, "not a buffer")
	T.raises("out of range", core.redirect, sink, skynet.self(), -1, 0, "x")
end

T.run(function()
	sink = skynet.newservice("echo_svc")
	known_faults()
	skynet.error("fuzz seed " .. seed .. " (replay with FUZZ_SEED=" .. seed .. ")")
	local seri = {
		pack = skynet.pack, unpack = skynet.unpack, packstring = skynet.packstring,
		tostring = skynet.tostring, trash = skynet.trash,
	}
	for round = 1, rounds do
		core_skip.error = round > 20
		memory_skip.dumpinfo = round > 20
		T.ok(fuzz_module("skynet.core", core, core_skip) >= 18, "skynet.core functions")
		fuzz_module("skynet.memory", memory, memory_skip)
		fuzz_module("skynet.debughook", debughook, {})
		fuzz_module("seri", seri, {})
		if round % 50 == 0 then
			skynet.yield() -- lets the sink drain what it was sent
		end
	end
	debughook.detach()
	skynet.error(string.format("fuzz: %d calls, %d raised an error", calls, errors))
	T.ok(errors > 0 and errors < calls, "both outcomes happened")
	-- the node still works (once the random messages sent to this service,
	-- random responses among them, have all arrived and been dropped)
	skynet.sleep(20)
	T.eq(skynet.call(sink, "lua", "echo", "alive"), "alive", "the sink answers")
	T.eq(skynet.unpack(skynet.packstring(1, "two")), 1, "pack still works")
	-- the node's shutdown races with late log lines (a logger queue can be
	-- left behind, reported separately): let the logging settle first
	skynet.sleep(10)
end)
