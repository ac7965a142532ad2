-- A service the core tests talk to: each "lua" command exercises one way of
-- answering (or not answering) a request.  Arguments given to newservice are
-- kept and returned by "args".
local skynet = require "skynet"

local args = table.pack(...)
local received = 0 -- sum of "inc" messages received through skynet.send
local source -- the source of the message being handled
local inc_source -- the source of the last "inc"
local last_response_error -- what calling a response closure twice raised

local CMD = {}

function CMD.echo(...)
	skynet.retpack(...)
end

function CMD.args()
	skynet.retpack(table.unpack(args, 1, args.n))
end

function CMD.self()
	skynet.retpack(skynet.self())
end

-- yields the handler's thread with a plain coroutine.yield: the
-- dispatcher reports it ("USER": use skynet.coroutine; anything else:
-- unknown command) and the service goes on serving
function CMD.raw_yield(value)
	coroutine.yield(value)
end

function CMD.inc(n)
	received = received + (n or 1)
	inc_source = source
end

function CMD.inc_source()
	skynet.retpack(inc_source)
end

function CMD.count()
	skynet.retpack(received)
end

function CMD.sleep_echo(ticks, ...)
	skynet.sleep(ticks)
	skynet.retpack(...)
end

function CMD.ret(...)
	skynet.ret(skynet.pack(...))
end

function CMD.fail(msg)
	error(msg)
end

-- forks three threads (the second raises) and then raises itself: the
-- first and third must still run; "forked" tells which did
local forked = {}
function CMD.fork_then_fail(msg)
	skynet.fork(function() forked[#forked + 1] = "first" end)
	skynet.fork(function() error(msg .. " (in a fork)") end)
	skynet.fork(function() forked[#forked + 1] = "third" end)
	error(msg)
end

function CMD.forked()
	skynet.retpack(table.concat(forked, ","))
end

function CMD.fail_later(ticks, msg)
	skynet.sleep(ticks)
	error(msg)
end

-- answers later from a timer through skynet.response
function CMD.delayed(ticks, ...)
	local reply = skynet.response()
	local values = table.pack(...)
	skynet.timeout(ticks, function()
		reply(true, table.unpack(values, 1, values.n))
	end)
end

function CMD.response_twice(v)
	local reply = skynet.response()
	reply(true, v)
	local ok, err = pcall(reply, true, "second")
	last_response_error = ok and "no error" or tostring(err)
end

function CMD.last_response_error()
	skynet.retpack(last_response_error)
end

function CMD.response_false()
	local reply = skynet.response()
	reply(false)
end

-- the caller is never answered here; skynet.exit must fail its call
function CMD.exit_now()
	skynet.exit()
end

function CMD.exit_later(ticks)
	skynet.sleep(ticks)
	skynet.exit()
end

-- returns without answering ("Maybe forgot response"): the caller waits
-- until the service exits or is killed
function CMD.forget() end

-- keeps the caller waiting until the service is killed
function CMD.hang()
	skynet.wait()
end

-- keeps the worker busy for ms milliseconds of CPU
function CMD.busy(ms)
	local t0 = os.clock()
	while os.clock() - t0 < ms / 1000 do end
end

function CMD.loop()
	while true do end
end

function CMD.call(addr, ...)
	skynet.retpack(skynet.call(addr, "lua", ...))
end

skynet.start(function()
	skynet.dispatch("lua", function(_, from, cmd, ...)
		source = from
		local f = CMD[cmd]
		if not f then
			error("echo_svc: unknown command " .. tostring(cmd))
		end
		f(...)
	end)
end)
