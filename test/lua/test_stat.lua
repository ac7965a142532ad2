-- stat, mqlen, task, genid and the launcher's STAT/MEM/GC reports
local skynet = require "skynet"
local T = require "testlib"

local function queue_length()
	T.eq(skynet.mqlen(), skynet.stat("mqlen"), "mqlen is stat mqlen")
	local handled = 0
	skynet.dispatch("lua", function() handled = handled + 1 end)
	-- this handler is still running, so messages to self wait in the queue
	for _ = 1, 100 do
		skynet.send(skynet.self(), "lua", "x")
	end
	T.ok(skynet.mqlen() >= 100, "100 queued messages counted, got " .. skynet.mqlen())
	T.eq(handled, 0, "nothing handled while the handler runs")
	skynet.sleep(1)
	T.eq(handled, 100, "queued messages handled after yielding")
	T.ok(skynet.mqlen() < 100, "queue drained")
end

local function counters()
	local before = skynet.stat("message")
	T.eq(math.type(before), "integer", "message count is an integer")
	for _ = 1, 10 do
		skynet.sleep(0)
	end
	T.ok(skynet.stat("message") >= before + 10, "each handled message is counted")
	local cpu = skynet.stat("cpu")
	T.eq(type(cpu), "number", "cpu time is a number")
	-- 0.1 s of CPU (os.clock: the idle node's other threads add little),
	-- however long a busy machine makes it take
	local c0 = os.clock()
	while os.clock() - c0 < 0.1 do end
	skynet.yield()
	local spent = skynet.stat("cpu") - cpu
	T.ok(spent >= 0.05 and spent < 5, "0.1 s of work shows in cpu time, got " .. spent)
	T.ok(not skynet.stat("endless") or skynet.stat("endless") == 0, "a healthy service is not endless")
end

local function tasks()
	local base = skynet.task()
	T.eq(math.type(base), "integer", "task() counts pending sessions")
	for _ = 1, 3 do
		skynet.fork(skynet.sleep, 50)
	end
	skynet.yield()
	T.eq(skynet.task(), base + 3, "sleeping coroutines are pending tasks")
	local t = {}
	skynet.task(t)
	local traces = 0
	for _, tb in pairs(t) do
		traces = traces + 1
		T.eq(type(tb), "string", "task(t) gives tracebacks")
	end
	T.ok(traces >= 3, "task(t) lists the sleeping coroutines")
end

local function ids()
	local seen = {}
	local last = 0
	for _ = 1, 1000 do
		local id = skynet.genid()
		T.eq(math.type(id), "integer", "genid gives integers")
		T.ok(id > 0, "genid is positive")
		T.ok(not seen[id], "genid does not repeat")
		T.ok(id > last, "genid increases")
		seen[id], last = true, id
	end
end

local function launcher_reports()
	local svc = skynet.newservice("echo_svc")
	local addr = skynet.address(svc)
	local stat = skynet.call(".launcher", "lua", "STAT")
	T.ok(stat[addr], "launcher STAT lists the service")
	local mem = skynet.call(".launcher", "lua", "MEM")
	T.ok(tostring(mem[addr]):find("Kb", 1, true), "launcher MEM reports Kb: " .. tostring(mem[addr]))
	skynet.call(".launcher", "lua", "GC")
	T.eq(skynet.call(svc, "lua", "echo", 1), 1, "service works after GC")
end

T.run(function()
	queue_length()
	counters()
	tasks()
	ids()
	launcher_reports()
end)
