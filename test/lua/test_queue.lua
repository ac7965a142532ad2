-- skynet.queue: a critical section; callers enter one at a time in the order
-- they asked, re-entry from the same coroutine works, errors release it
local skynet = require "skynet"
local queue = require "skynet.queue"
local T = require "testlib"

T.run(function()
	local cs = queue()
	local inside, max_inside = 0, 0
	local entered = {}
	local results = {}
	T.parallel(20, 500, "callers", function(i)
		results[i] = cs(function(x)
			inside = inside + 1
			max_inside = math.max(max_inside, inside)
			entered[#entered + 1] = x
			skynet.sleep(math.random(0, 2))
			inside = inside - 1
			return x * 10
		end, i)
	end)
	T.eq(max_inside, 1, "one coroutine inside at a time")
	for i = 1, 20 do
		T.eq(entered[i], i, "entered in call order")
		T.eq(results[i], i * 10, "queue returns the function's result")
	end

	T.eq(cs(function() return cs(function() return "nested" end) end), "nested", "re-entry from the same coroutine")

	local err = T.raises("inside the queue", cs, function() error("inside the queue") end)
	T.ok(err, "errors propagate")
	T.eq(cs(function() return "free" end), "free", "an error releases the queue")
end)
