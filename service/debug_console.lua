-- The debug console: a line-oriented command shell on a TCP port, for
-- telnet (or nc, or a script).  Started as
--   skynet.newservice("debug_console", port)
--   skynet.newservice("debug_console", address, port)
-- Every answer ends with "<CMD OK>" or "<CMD Error>".
--
-- Whoever reaches the port can run code in the node (start, inject, debug),
-- so the console guards the ways in that do not come from a person at a
-- terminal:
--   * An HTTP request line ("GET /info/:0000000a HTTP/1.1") is answered
--     only for GET of a read-only command, with a Host that is an IP address
--     or localhost (a web page cannot reach it through DNS rebinding); any
--     other method, and any line that looks like an HTTP header, closes the
--     connection (a browser's POST cannot smuggle commands in its body).
--   * With the config key `console_token` set, a session's first line must
--     be "auth TOKEN" (HTTP: "?token=TOKEN" or "Authorization: Bearer TOKEN");
--     a wrong token closes the connection.
--
-- The config key `console_timeout` (seconds, default 5) bounds how long a
-- command waits for a service's answer; the session stays usable after.
local skynet = require "skynet"
local socket = require "skynet.socket"
local core = require "skynet.core"

local args = table.pack(...)
assert(args.n >= 1 and args.n <= 2, "usage: debug_console [address] port")
local listen_ip = args.n == 2 and args[1] or "127.0.0.1"
local listen_port = assert(tonumber(args[args.n]), "debug_console: the port must be a number")

local MAX_LINE = 64 * 1024
local TIMEOUT = math.floor((tonumber(skynet.getenv "console_timeout") or 5) * 100)
local TOKEN = skynet.getenv "console_token"
if TOKEN == "" then
	TOKEN = nil
end

local COMMAND = {}	-- name -> function(word, ...): result
local COMMANDX = {}	-- name -> function(session, cmdline, words): result

-- Errors meant for the user carry no source position.
local function fail(fmt, ...)
	error(string.format(fmt, ...), 0)
end

-- Shows untrusted text without control or non-ASCII bytes.
local function printable(s)
	return (tostring(s):gsub("[^\32-\126]", function(c)
		return string.format("\\x%02x", c:byte())
	end))
end

------------------------------------------------------------- formatting

local function sorted_keys(t)
	local keys = {}
	for k in pairs(t) do
		keys[#keys + 1] = k
	end
	table.sort(keys, function(a, b)
		return tostring(a) < tostring(b)
	end)
	return keys
end

local function format_table(t)
	local fields = {}
	for _, k in ipairs(sorted_keys(t)) do
		fields[#fields + 1] = string.format("%s:%s", k, tostring(t[k]))
	end
	return table.concat(fields, "\t")
end

-- One line per key: "key<TAB>value", a table value as "k:v<TAB>k:v".
local function dump_list(print, list)
	for _, k in ipairs(sorted_keys(list)) do
		local v = list[k]
		if type(v) == "table" then
			print(k, format_table(v))
		else
			print(k, tostring(v))
		end
	end
end

-- A Lua-literal rendering of v, for values returned by `call`.
local function serialize(v, seen, depth)
	local t = type(v)
	if t == "string" then
		-- %q leaves newlines and bytes over 126 as they are
		return (string.format("%q", v):gsub("\\\n", "\\n"):gsub("[\127-\255]", function(c)
			return string.format("\\%03d", c:byte())
		end))
	elseif t ~= "table" then
		return tostring(v)
	end
	if seen[v] then
		return "<cycle>"
	end
	if depth > 8 then
		return "{...}"
	end
	seen[v] = true
	local items = {}
	local n = #v
	for i = 1, n do
		items[#items + 1] = serialize(v[i], seen, depth + 1)
	end
	for _, k in ipairs(sorted_keys(v)) do
		if not (math.type(k) == "integer" and k >= 1 and k <= n) then
			local key
			if type(k) == "string" and k:match "^[%a_][%w_]*$" then
				key = k
			else
				key = "[" .. serialize(k, seen, depth + 1) .. "]"
			end
			items[#items + 1] = key .. "=" .. serialize(v[k], seen, depth + 1)
		end
	end
	seen[v] = nil
	return "{" .. table.concat(items, ",") .. "}"
end

------------------------------------------------------------- addresses

-- ".name", ":0000000a" or "0000000a" (local harbor) to a handle.
local function parse_address(s)
	if s == nil or s == "" then
		fail "Need an address"
	end
	if s:sub(1, 1) == "." then
		return skynet.localname(s) or fail("Not a valid name: %s", printable(s))
	end
	if s:sub(1, 1) == ":" then
		return core.tohandle(s) or fail("Invalid address: %s", printable(s))
	end
	local handle = core.tohandle(":" .. s) or fail("Invalid address: %s", printable(s))
	return handle | (skynet.self() & 0xff000000)
end

------------------------------------------------------------- requests

-- skynet.call bounded by `ti` centiseconds.  A late answer is dropped; the
-- coroutine that waits for it ends when the answer (or an error) comes.
local function timed_call(ti, addr, typename, ...)
	local waiter = coroutine.running()
	local result
	skynet.fork(function(...)
		result = table.pack(pcall(skynet.call, addr, typename, ...))
		if waiter then
			skynet.wakeup(waiter)
		end
	end, ...)
	skynet.sleep(ti)
	waiter = nil
	if result == nil then
		local name = type(addr) == "number" and skynet.address(addr) or tostring(addr)
		fail("Timeout: %s did not answer within %gs", name, ti / 100)
	end
	if not result[1] then
		error(result[2], 0)
	end
	return table.unpack(result, 2, result.n)
end

local function call(addr, typename, ...)
	return timed_call(TIMEOUT, addr, typename, ...)
end

-- The launcher asks every service itself, waiting at most TIMEOUT for each.
local function launcher(cmd, ...)
	return timed_call(TIMEOUT * 2, ".launcher", "lua", cmd, ...)
end

------------------------------------------------------------- sessions

local Session = {}
Session.__index = Session

local function new_session(fd, addr)
	return setmetatable({
		fd = fd,
		addr = addr,
		parts = {},	-- received bytes not yet returned as lines
		pos = 1,	-- where the unread bytes start in parts[1]
		size = 0,	-- how many unread bytes parts hold
		telnet = nil,	-- state of the telnet command filter
		has_line = false,	-- parts hold a "\n"
		skipping = false,	-- discarding the rest of an oversize line
		closed = false,
	}, Session)
end

function Session:print(...)
	if self.closed then
		return
	end
	local t = table.pack(...)
	for i = 1, t.n do
		t[i] = tostring(t[i])
	end
	t = table.concat(t, "\t", 1, t.n) .. "\n"
	if socket.write(self.fd, t) == false then
		self.closed = true
		skynet.error(self.addr, "write failed: connection closed, answer dropped")
	end
end

-- Telnet commands in the byte stream: IAC (255) followed by a command;
-- WILL/WONT/DO/DONT (251-254) take one option byte; SB (250) starts a
-- subnegotiation that runs to IAC SE (240); IAC IAC is a literal 255.
local TELNET = {
	data = function(b) if b == 255 then return "iac" end return "data", b end,
	iac = function(b)
		if b == 255 then return "data", 255 end
		if b >= 251 then return "option" end
		if b == 250 then return "sub" end
		return "data"
	end,
	option = function() return "data" end,
	sub = function(b) if b == 255 then return "subiac" end return "sub" end,
	subiac = function(b) if b == 240 then return "data" end return "sub" end,
}

function Session:strip_telnet(data)
	local state = self.telnet
	if state == nil and not data:find("\255", 1, true) then
		return data
	end
	state = state or "data"
	local out = {}
	for i = 1, #data do
		local b
		state, b = TELNET[state](data:byte(i))
		if b then
			out[#out + 1] = string.char(b)
		end
	end
	self.telnet = state ~= "data" and state or nil
	return table.concat(out)
end

local TOO_LONG = string.format("Line too long (more than %d bytes), ignored", MAX_LINE)

-- Reads more bytes into parts; nil when the peer is gone.
function Session:receive()
	local data = socket.read(self.fd)
	if not data then
		return nil
	end
	data = self:strip_telnet(data)
	if self.skipping then
		local nl = data:find("\n", 1, true)
		if not nl then
			return true
		end
		self.skipping = false
		data = data:sub(nl + 1)
	end
	if data ~= "" then
		self.parts[#self.parts + 1] = data
		self.size = self.size + #data
		self.has_line = self.has_line or data:find("\n", 1, true) ~= nil
	end
	return true
end

-- Removes and returns the first complete line, if there is one.  Lines
-- are cut from parts[1] at offset pos, so a packet of many short lines
-- is not copied once per line.
function Session:take_line()
	if not self.has_line then
		return nil
	end
	local buf = self.parts[1]
	if #self.parts > 1 then
		buf = table.concat(self.parts)
		self.parts = { buf }
	end
	local nl = buf:find("\n", self.pos, true)
	local line = buf:sub(self.pos, nl - 1)
	self.pos = nl + 1
	self.size = #buf - nl
	if self.size == 0 then
		self.parts, self.pos, self.has_line = {}, 1, false
	else
		self.has_line = buf:find("\n", self.pos, true) ~= nil
	end
	return (line:gsub("\r$", ""))
end

-- The next line without its "\r\n" or "\n"; nil when the peer is gone;
-- false and a message when the line is longer than MAX_LINE (the rest of
-- that line is discarded as it arrives).
function Session:readline()
	while true do
		local line = self:take_line()
		if line then
			if #line > MAX_LINE then
				return false, TOO_LONG
			end
			return line
		end
		if self.size > MAX_LINE then
			self.parts, self.pos, self.size, self.skipping = {}, 1, 0, true
			return false, TOO_LONG
		end
		if not self:receive() then
			return nil
		end
	end
end

------------------------------------------------------------- commands

local function split_words(cmdline)
	local words = {}
	for w in cmdline:gmatch "%S+" do
		words[#words + 1] = w
	end
	return words
end

-- an error without the position of the code that raised it, which tells
-- the user nothing, nor its traceback (the node's log has it)
local function reason(err)
	err = tostring(err):gsub("\nstack traceback:\n.*", "")
	return (err:gsub("^[^\n]-%.lua:%d+: ", ""))
end

local function docmd(session, cmdline)
	local words = split_words(cmdline)
	local name = words[1]
	local ok, result
	if COMMAND[name] then
		ok, result = pcall(COMMAND[name], table.unpack(words, 2))
	elseif COMMANDX[name] then
		ok, result = pcall(COMMANDX[name], session, cmdline, words)
	else
		ok, result = false, "Invalid command, type help for command list"
	end
	local print = function(...) session:print(...) end
	if ok then
		if type(result) == "table" then
			dump_list(print, result)
		elseif result ~= nil then
			print(result)
		end
		print "<CMD OK>"
	else
		print(reason(result))
		print "<CMD Error>"
	end
end

local function percent_decode(s)
	return (s:gsub("%%(%x%x)", function(h)
		return string.char(tonumber(h, 16))
	end))
end

-- Compares without stopping at the first difference, so the time taken
-- does not tell how much of a guess was right.
local function same_secret(guess, secret)
	if type(guess) ~= "string" or #guess ~= #secret then
		return false
	end
	local diff = 0
	for i = 1, #secret do
		diff = diff | (guess:byte(i) ~ secret:byte(i))
	end
	return diff == 0
end

-- Commands HTTP may run: they report and change nothing.
local HTTP_COMMANDS = {
	help = true, list = true, stat = true, info = true, mem = true, cmem = true,
	jmem = true, service = true, task = true, uniqtask = true, ping = true,
	netstat = true, getenv = true,
}

-- "localhost", an IPv4 address or a bracketed IPv6 address, with an
-- optional port: a name a DNS rebinding attack cannot have chosen.
local function local_host(host)
	host = host:lower():gsub(":%d+$", "")
	return host == "localhost" or host:match "^%d+%.%d+%.%d+%.%d+$" ~= nil
		or host:match "^%[[%x:.]+%]$" ~= nil
end

local function http_refuse(session, why)
	skynet.error(session.addr, "HTTP request refused:", why)
	session:print("Forbidden: " .. why)
	session:print "<CMD Error>"
end

-- Reads the header lines of a request: name (lower case) -> value.
local function http_headers(session)
	local headers = {}
	for _ = 1, 100 do
		local line = session:readline()
		if not line or line == "" then
			break
		end
		local name, value = line:match "^([^:]+):%s*(.-)%s*$"
		if name then
			headers[name:lower()] = value
		end
	end
	return headers
end

-- "GET /cmd/arg1/arg2[?token=T] HTTP/1.1": reads the headers and runs
-- "cmd arg1 arg2" if it is a read-only command.
local function http_request(session, method, url, version)
	local headers = version and http_headers(session) or {}
	if method ~= "GET" then
		return http_refuse(session, "method " .. printable(method) .. " (only GET)")
	end
	if headers.host and not local_host(headers.host) then
		return http_refuse(session, "Host " .. printable(headers.host) .. " is not an address")
	end
	local path, query = url:match "^([^?#]*)%??([^#]*)"
	if TOKEN then
		local bearer = headers.authorization and headers.authorization:match "^Bearer%s+(%S+)$"
		local token = query:match "^token=([^&]*)" or query:match "&token=([^&]*)"
		if not (same_secret(bearer, TOKEN) or same_secret(token and percent_decode(token), TOKEN)) then
			return http_refuse(session, "no valid console token")
		end
	end
	local cmdline = percent_decode(path:sub(2)):gsub("/", " ")
	local name = cmdline:match "^%s*(%S*)"
	if not HTTP_COMMANDS[name] then
		return http_refuse(session, "command " .. printable(name) .. " is not read-only")
	end
	docmd(session, cmdline)
end

-- "METHOD target HTTP/x.y", or "GET target" (HTTP/0.9): method, target,
-- version.  Console commands are lower case, so they never match.
local function http_request_line(line)
	local method, url, version = line:match "^(%u+)%s+(%S+)%s+(HTTP/%d[%.%d]*)%s*$"
	if method then
		return method, url, version
	end
	return line:match "^(GET)%s+(%S+)%s*$"
end

-- A first line "auth TOKEN" opens a session when console_token is set.
local function authenticate(session, line)
	local token = line:match "^%s*auth%s+(%S+)%s*$"
	if same_secret(token, TOKEN) then
		session:print "<CMD OK>"
		return true
	end
	skynet.error(session.addr, "console session refused: wrong or missing token")
	session:print(token and "Wrong token" or "This console needs a token first: auth TOKEN")
	session:print "<CMD Error>"
	return false
end

local function session_loop(session)
	session:print "Welcome to skynet console"
	local authorized = TOKEN == nil
	while true do
		local line, err = session:readline()
		if line == nil then
			break
		end
		local method, url, version
		if line then
			method, url, version = http_request_line(line)
		end
		if line == false then
			session:print(err)
			session:print "<CMD Error>"
		elseif method then
			http_request(session, method, url, version)
			break
		elseif line:match "^[%w%-]+:" then
			-- an HTTP header: the request line came before we listened
			http_refuse(session, "header line in a console session")
			break
		elseif not authorized then
			authorized = authenticate(session, line)
			if not authorized then
				break
			end
		elseif line:find "%S" then
			docmd(session, line)
		end
	end
end

local function serve(fd, addr)
	local session = new_session(fd, addr)
	skynet.error(addr, "connected")
	local ok, err = xpcall(session_loop, debug.traceback, session)
	if not ok then
		skynet.error(addr, "console session error:", err)
	end
	skynet.error(addr, "disconnected")
	socket.close(fd)
end

skynet.start(function()
	local listener = socket.listen(listen_ip, listen_port)
	skynet.error(string.format("Start debug console at %s:%d", listen_ip, listen_port))
	socket.start(listener, function(fd, addr)
		if socket.start(fd) then
			skynet.fork(serve, fd, addr)
		end
	end)
end)

function COMMAND.help()
	return {
		help = "This help message",
		list = "List all the service",
		stat = "Dump all stats",
		info = "info address : get service information",
		exit = "exit address : kill a lua service",
		kill = "kill address : kill service",
		mem = "mem : show memory status",
		gc = "gc : force every lua service do garbage collect",
		start = "launch a new lua service",
		snax = "launch a new snax service",
		clearcache = "clear lua code cache",
		service = "List unique service",
		task = "task address : show service task detail",
		uniqtask = "task address : show service unique task detail",
		killtask = "killtask address task : kill a task listed by task",
		inject = "inject address luascript.lua",
		logon = "logon address",
		logoff = "logoff address",
		log = "launch a new lua service with log",
		debug = "debug address : debug a lua service",
		signal = "signal address sig",
		cmem = "Show C memory info",
		jmem = "Show jemalloc mem stats",
		ping = "ping address",
		call = "call address ...",
		trace = "trace address [proto] [on|off]",
		netstat = "netstat : show netstat",
		profactive = "profactive [on|off] : active/deactive jemalloc heap profiling",
		dumpheap = "dumpheap : dump heap profiling",
		getenv = "getenv name : show an env value",
		setenv = "setenv name value : set a new env value",
	}
end

-- snlua's code cache: the next service to load a file reads it again
function COMMAND.clearcache()
	local clear = debug.getregistry().skynet_codecache_clear
	if not clear then
		fail "No code cache in this build"
	end
	clear()
end

-- skynet.newservice raises on a failed start: "Failed: why"
function COMMAND.start(...)
	local ok, addr = pcall(skynet.newservice, ...)
	if not ok then
		fail("Failed: %s", reason(addr))
	end
	if not addr then
		return "Exit"
	end
	return { [skynet.address(addr)] = table.concat({ ... }, " ") }
end

function COMMAND.log(...)
	local ok, addr, err = pcall(launcher, "LOGLAUNCH", "snlua", ...)
	if ok and addr then
		return { [skynet.address(addr)] = table.concat({ ... }, " ") }
	end
	fail("Failed: %s", reason(ok and err or addr))
end

function COMMAND.snax(...)
	local ok, s = pcall(function(...)
		return require("skynet.snax").newservice(...)
	end, ...)
	if not ok then
		fail("Failed: %s", reason(s))
	end
	return { [skynet.address(s.handle)] = table.concat({ ... }, " ") }
end

function COMMAND.service()
	return call(skynet.localname ".service" or "SERVICE", "lua", "LIST")
end

function COMMAND.list()
	return launcher "LIST"
end

-- stat/mem/gc [timeout]: the launcher waits `timeout` centiseconds for
-- the services' answers (default console_timeout; 0: as long as they take),
-- and this session waits for the launcher that long and a bit more.
local function ask_services(cmd, ti)
	if ti == nil then
		ti = TIMEOUT
	else
		ti = math.tointeger(tonumber(ti)) or fail("Invalid timeout: %s", printable(ti))
	end
	if ti <= 0 then
		return skynet.call(".launcher", "lua", cmd, 0)
	end
	return timed_call(ti + TIMEOUT, ".launcher", "lua", cmd, ti)
end

function COMMAND.stat(ti)
	return ask_services("STAT", ti)
end

function COMMAND.mem(ti)
	return ask_services("MEM", ti)
end

function COMMAND.gc(ti)
	return ask_services("GC", ti)
end

function COMMAND.kill(address)
	local killed, err = launcher("KILL", parse_address(address))
	if killed == nil then
		fail("%s", err)
	end
	return killed
end

function COMMAND.exit(address)
	skynet.send(parse_address(address), "debug", "EXIT")
end

function COMMAND.inject(address, filename, ...)
	address = parse_address(address)
	if filename == nil then
		fail "Need a file name"
	end
	local f, err = io.open(filename, "rb")
	if not f then
		fail("Can't open %s", err)
	end
	local source = f:read "a"
	f:close()
	local ok, output = call(address, "debug", "RUN", source, filename, ...)
	if ok == false then
		error(output, 0)
	end
	return output
end

function COMMAND.task(address)
	return call(parse_address(address), "debug", "TASK")
end

-- killtask address task: the task as `task` lists it (a session number,
-- or a thread name such as "thread: 0x55d0c3a0")
function COMMAND.killtask(address, ...)
	address = parse_address(address)
	local task = table.concat({ ... }, " ")
	if task == "" then
		fail "Need a task (listed by task)"
	end
	return call(address, "debug", "KILLTASK", task)
end

function COMMAND.uniqtask(address)
	return call(parse_address(address), "debug", "UNIQTASK")
end

function COMMAND.info(address, ...)
	address = parse_address(address)
	local info = call(address, "debug", "INFO", ...)
	if info == nil then
		return skynet.address(address) .. " gave no info (no skynet.info_func, or it returned nil)"
	end
	return info
end

function COMMAND.logon(address)
	core.command("LOGON", skynet.address(parse_address(address)))
end

function COMMAND.logoff(address)
	core.command("LOGOFF", skynet.address(parse_address(address)))
end

function COMMAND.signal(address, sig)
	address = skynet.address(parse_address(address))
	if sig then
		local n = math.tointeger(tonumber(sig)) or fail("Invalid signal: %s", printable(sig))
		core.command("SIGNAL", string.format("%s %d", address, n))
	else
		core.command("SIGNAL", address)
	end
end

function COMMAND.cmem()
	local memory = require "skynet.memory"
	local result = {}
	for handle, bytes in pairs(memory.info()) do
		result[skynet.address(handle)] = bytes
	end
	result.total = memory.total()
	result.block = memory.block()
	return result
end

function COMMAND.jmem()
	local memory = require "skynet.memory"
	local result = {}
	for k, v in pairs(memory.jestat()) do
		result[k] = string.format("%11d  %8.2f Mb", v, v / 1048576)
	end
	if next(result) == nil then
		return "No jemalloc statistics: this node runs without jemalloc"
	end
	return result
end

function COMMAND.ping(address)
	address = parse_address(address)
	local start = skynet.now()
	call(address, "debug", "PING")
	return tostring(skynet.now() - start)
end

local function toboolean(x)
	return x == "true" or x == "on"
end

function COMMAND.trace(address, proto, flag)
	address = parse_address(address)
	if flag == nil then
		if proto == "on" or proto == "off" then
			proto = toboolean(proto)
		end
	else
		flag = toboolean(flag)
	end
	call(address, "debug", "TRACELOG", proto, flag)
end

-- Socket byte counts and idle times in human units.
local function bytes(size)
	if size == nil or size == 0 then
		return nil
	end
	if size < 1024 then
		return size
	end
	if size < 1024 * 1024 then
		return tostring(size / 1024) .. "K"
	end
	return tostring(size / (1024 * 1024)) .. "M"
end

local function elapsed(now, t)
	if t == nil then
		return nil
	end
	t = now - t
	if t < 6000 then
		return tostring(t / 100) .. "s"
	end
	local hour = t // 360000
	local min = t % 360000 // 6000
	local sec = t % 6000 / 100
	return string.format("%s%d:%.2gs", hour == 0 and "" or (hour .. ":"), min, sec)
end

function COMMAND.netstat()
	local now = skynet.now()
	local stat = socket.netstat()
	for _, info in ipairs(stat) do
		info.address = skynet.address(info.address)
		info.read = bytes(info.read)
		info.write = bytes(info.write)
		info.wbuffer = bytes(info.wbuffer)
		info.rtime = elapsed(now, info.rtime)
		info.wtime = elapsed(now, info.wtime)
	end
	return stat
end

function COMMAND.dumpheap()
	require("skynet.memory").dumpheap()
end

function COMMAND.profactive(flag)
	local memory = require "skynet.memory"
	if flag ~= nil then
		if flag == "on" or flag == "off" then
			flag = toboolean(flag)
		end
		memory.profactive(flag)
	end
	return "heap profilling is " .. (memory.profactive() and "active" or "deactive")
end

function COMMAND.getenv(name)
	if name == nil then
		fail "Need a name"
	end
	if name == "console_token" then
		fail "console_token is secret"
	end
	return { [name] = tostring(skynet.getenv(name)) }
end

function COMMAND.setenv(name, value)
	if name == nil or value == nil then
		fail "Need a name and a value"
	end
	skynet.setenv(name, value)
end

-- Runs the chunk that evaluates `call` arguments.  They are meant to be
-- literals: the chunk gets an empty environment, strings lose their
-- methods meanwhile (no ("x"):rep(1e10)), at most LITERAL_STEPS VM
-- instructions run ("(function() while true do end end)()" fails), and the
-- heap may grow by at most LITERAL_BYTES between two instructions'
-- checks (a loop of a = a .. a fails long before memory runs out; one
-- instruction concatenates at most ~250 values, so the peak stays bounded).
local LITERAL_STEPS = 100000
local LITERAL_BYTES = 256 * 1024

local function eval_literals(chunk)
	local co = coroutine.create(chunk)
	local base = collectgarbage "count"
	local steps = 0
	debug.sethook(co, function()
		steps = steps + 1
		if steps > LITERAL_STEPS then
			error("Arguments too complex", 0)
		end
		if (collectgarbage "count" - base) * 1024 > LITERAL_BYTES then
			error("Arguments too large", 0)
		end
	end, "", 1)
	local string_meta = getmetatable ""
	local methods = string_meta.__index
	string_meta.__index = nil
	local result = table.pack(coroutine.resume(co))
	string_meta.__index = methods
	return table.unpack(result, 1, result.n)
end

-- call address args: args are Lua literals, e.g. call :0000000a "ping", {a=1}
function COMMANDX.call(_, cmdline, words)
	local address = parse_address(words[2])
	local argtext = cmdline:match "^%s*%S+%s+%S+%s+(.-)%s*$"
	if argtext == nil or argtext == "" then
		fail "Need arguments"
	end
	local chunk, err = load("return " .. argtext, "=(console)", "t", {})
	if not chunk then
		fail("Invalid arguments: %s", err)
	end
	local args = table.pack(eval_literals(chunk))
	if not args[1] then
		fail("Invalid arguments: %s", tostring(args[2]))
	end
	local rets = table.pack(call(address, "lua", table.unpack(args, 2, args.n)))
	local lines = {}
	for i = 1, rets.n do
		lines[i] = i .. "\t" .. serialize(rets[i], {}, 1)
	end
	lines[#lines + 1] = "n\t" .. rets.n
	return table.concat(lines, "\n")
end

-- debug address: the session's lines go to the service's debugger
-- (skynet.remotedebug), which writes its answers to the socket itself,
-- until the line "cont".
function COMMANDX.debug(session, _, words)
	local address = parse_address(words[2])
	local function remote(...)
		local ok, err = call(address, "debug", "REMOTEDEBUG", ...)
		if not ok then
			error(err, 0)
		end
	end
	remote("start", session.fd)
	while true do
		local line, err = session:readline()
		if line == nil then
			skynet.send(address, "debug", "REMOTEDEBUG", "cmd", "cont")
			return
		end
		if line == false then
			session:print(err)
			line = ""
		end
		local ok, cmderr = pcall(remote, "cmd", line)
		if not ok then
			-- do not leave the service stopped with nobody at the console
			skynet.send(address, "debug", "REMOTEDEBUG", "cmd", "cont")
			error(cmderr, 0)
		end
		if line:match "^%s*cont%s*$" then
			return
		end
	end
end
