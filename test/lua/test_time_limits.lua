-- skynet.sleep/skynet.timeout at the edges: waits longer than the timer
-- holds (2^31 ticks and more) are clamped to the longest it holds, never
-- cut short; ticks <= 0 fire at once; a non-integer is an error
local skynet = require "skynet"
local T = require "testlib"

local LONG = { 2 ^ 31, 2 ^ 32, 2 ^ 32 + 5, 2 ^ 40, math.maxinteger }

local function long_waits_do_not_fire()
	local fired = {}
	for _, ticks in ipairs(LONG) do
		local name = string.format("%.0f", ticks)
		skynet.fork(function()
			skynet.sleep(math.tointeger(ticks))
			fired[#fired + 1] = "sleep " .. name
		end)
		skynet.timeout(math.tointeger(ticks), function()
			fired[#fired + 1] = "timeout " .. name
		end)
	end
	skynet.sleep(30)
	T.eq(table.concat(fired, ", "), "", "long waits that ended within 0.3 s")
end

local function short_waits_fire_at_once()
	for _, ticks in ipairs { 0, -1, -5, math.mininteger } do
		local t0 = skynet.now()
		skynet.sleep(ticks)
		T.ok(skynet.now() - t0 <= 1, "sleep(" .. ticks .. ") returns at once")
		local fired
		skynet.timeout(ticks, function() fired = true end)
		skynet.yield()
		skynet.sleep(1)
		T.ok(fired, "timeout(" .. ticks .. ") fires at once")
	end
	local t0 = skynet.now()
	skynet.sleep(5.0) -- a float with an integer value is that integer
	T.ok(skynet.now() - t0 >= 4, "sleep(5.0) sleeps")
end

local function bad_ticks_raise()
	T.raises("integer", skynet.sleep, 1.5)
	T.raises("integer", skynet.sleep, 2 ^ 80)
	T.raises("number expected", skynet.sleep, nil)
	T.raises("number expected", skynet.timeout, {}, function() end)
	T.raises("integer", skynet.timeout, 0 / 0, function() end)
end

T.run(function()
	long_waits_do_not_fire()
	short_waits_fire_at_once()
	bad_ticks_raise()
end)
