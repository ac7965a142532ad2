-- skynet.db.redis against the redis-server test/bench/bench_db.sh started
-- (config key redis_port): SET and GET round trips from 16 coroutines
-- sharing one connection, from one coroutine alone, and pipelines of 100
-- (GETs also with their ops tables built beforehand).
local skynet = require "skynet"
local redis = require "skynet.db.redis"
local B = require "benchlib"
local D = require "dbbench"

local COROUTINES = 16
local PIPELINE = 100
local VALUE = string.rep("x", 3) -- the same size as redis-benchmark's default value (3 bytes)

local function key(i)
	return "key:" .. (i % 10000)
end

B.run(function()
	local db = redis.connect { host = "127.0.0.1", port = assert(tonumber(skynet.getenv "redis_port")) }
	local N = 100000
	B.report("redis_set_per_s", N / D.spread(COROUTINES, N, function(i) db:set(key(i), VALUE) end))
	B.report("redis_get_per_s", N / D.spread(COROUTINES, N, function(i)
		if db:get(key(i)) ~= VALUE then error("GET " .. key(i) .. " is wrong") end
	end))
	local seq = N // 4
	B.report("redis_get_one_coroutine_per_s", seq / D.spread(1, seq, function(i) db:get(key(i)) end))
	local batches = 4000
	local function pipeline(op)
		return function(b)
			local ops, results = {}, {}
			for j = 1, PIPELINE do
				ops[j] = op == "set" and { "set", key(b * PIPELINE + j), VALUE } or { "get", key(b * PIPELINE + j) }
			end
			db:pipeline(ops, results)
			if #results ~= PIPELINE or not results[PIPELINE].ok then
				error("a pipeline of " .. op .. " lost replies")
			end
		end
	end
	B.report("redis_pipelined_set_per_s", batches * PIPELINE / D.spread(COROUTINES, batches, pipeline "set"))
	B.report("redis_pipelined_get_per_s", batches * PIPELINE / D.spread(COROUTINES, batches, pipeline "get"))
	-- GETs of the same keys with their ops tables built beforehand (a
	-- pipeline per 100 keys, reused): what is left is the driver's own work
	-- and the results it returns
	local built, sets = {}, 10000 // PIPELINE
	for b = 0, sets - 1 do
		local ops = {}
		for j = 1, PIPELINE do
			ops[j] = { "get", key(b * PIPELINE + j) }
		end
		built[b] = ops
	end
	B.report("redis_pipelined_get_built_ops_per_s", batches * PIPELINE / D.spread(COROUTINES, batches, function(b)
		local results = {}
		db:pipeline(built[b % sets], results)
		if #results ~= PIPELINE or results[PIPELINE].out ~= VALUE then
			error("a pipeline of get lost replies")
		end
	end))
	db:disconnect()
end)
