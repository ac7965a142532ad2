-- skynet.service: service.new / query / close through service_provider and
-- service_cell, used as skynet's examples do (a kvdb per name, a
-- skynet.start body inside the main function)
local skynet = require "skynet"
local service = require "skynet.service"
local T = require "testlib"

-- shipped as bytecode: no upvalues but _ENV
local function kvdb_main(greeting, id)
	local skynet = require "skynet"
	local db = { greeting = greeting, id = id, boots = 1 }
	local command = {}
	function command.get(key)
		return db[key]
	end
	function command.set(key, value)
		db[key] = value
	end
	skynet.dispatch("lua", function(_, _, cmd, ...)
		skynet.ret(skynet.pack(command[cmd](...)))
	end)
end

local function slow_main()
	local skynet = require "skynet"
	local inited
	skynet.init(function() inited = true end)
	skynet.start(function()
		skynet.dispatch("lua", function(_, _, what)
			if what == "inited" then
				return skynet.retpack(inited)
			end
			skynet.sleep(20)
			skynet.retpack("slow " .. what)
		end)
	end)
end

local function failing_main()
	error("main function refuses")
end

local function new_and_query()
	local a = service.new("db1", kvdb_main, "hello", 7)
	T.eq(skynet.call(a, "lua", "get", "greeting"), "hello", "arguments reach the main function")
	T.eq(skynet.call(a, "lua", "get", "id"), 7, "arguments keep their types")
	skynet.call(a, "lua", "set", "k", "v")
	local again = service.new("db1", kvdb_main, "other")
	T.eq(again, a, "a second new of the name gives the same service")
	T.eq(skynet.call(again, "lua", "get", "greeting"), "hello", "the main function ran once")
	T.eq(service.query("db1"), a, "query")
	local b = service.new("db2", kvdb_main, "second")
	T.ok(b ~= a, "another name is another service")
	T.eq(skynet.call(service.query("db2"), "lua", "get", "k"), nil, "state is per service")
	T.eq(skynet.call(a, "lua", "get", "k"), "v", "state kept")
end

local function concurrent_new()
	local results, done = {}, 0
	for i = 1, 8 do
		skynet.fork(function()
			results[i] = service.new("shared", kvdb_main, "from " .. i)
			done = done + 1
		end)
	end
	while done < 8 do
		skynet.sleep(1)
	end
	for i = 2, 8 do
		T.eq(results[i], results[1], "every concurrent new gets the same address")
	end
	local greeting = skynet.call(results[1], "lua", "get", "greeting")
	T.ok(greeting:match("^from %d$"), "booted once, by one of the callers")
end

local function query_waits_for_new()
	local got
	skynet.fork(function()
		got = service.query("later")
	end)
	skynet.sleep(10)
	T.eq(got, nil, "query of a name nobody started yet waits")
	local addr = service.new("later", kvdb_main, "late")
	skynet.sleep(5)
	T.eq(got, addr, "the waiting query gets the address")
end

local function start_inside_main()
	local s = service.new("slow", slow_main)
	T.eq(skynet.call(s, "lua", "inited"), true, "skynet.init ran before the start body")
	local t0 = skynet.now()
	T.eq(skynet.call(s, "lua", "x"), "slow x", "the start body's dispatcher serves")
	T.ok(skynet.now() - t0 >= 19, "the handler slept")
end

local function bad_main_functions()
	local captured = "upvalue"
	T.raises("no upvalue but _ENV", service.new, "bad", function() return captured end)
	-- the provider logs the error; the caller's call fails (as in skynet)
	T.raises("call failed", service.new, "failing", failing_main)
	T.raises("call failed", service.new, "failing", failing_main)
	T.raises("call failed", service.query, "failing")
end

local function close()
	local a = service.new("closing", kvdb_main, "x")
	T.eq(service.close("closing"), true, "close a running service")
	T.raises(nil, skynet.call, a, "lua", "get", "greeting")
	T.eq(service.close("closing"), false, "close an unknown name")
	local b = service.new("closing", kvdb_main, "y")
	T.ok(b ~= a, "a closed name can be started again")
	T.eq(skynet.call(b, "lua", "get", "greeting"), "y", "the new one runs")
end

local function provider_info()
	local provider = skynet.uniqueservice "service_provider"
	local info = skynet.call(provider, "debug", "INFO")
	local a = service.query("db1")
	local e = T.ok(info[skynet.address(a)], "INFO lists db1 by address")
	T.eq(e.name, "db1", "INFO name")
	T.eq(e.init, "hello,7", "INFO arguments")
	T.ok(e.time:match("^%d%d%d%d "), "INFO start time")
end

T.run(function()
	new_and_query()
	concurrent_new()
	query_waits_for_new()
	start_inside_main()
	bad_main_functions()
	close()
	provider_info()
end)
