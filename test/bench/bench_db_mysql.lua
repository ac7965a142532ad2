-- skynet.db.mysql against the MariaDB test/bench/bench_db.sh started
-- (config keys mysql_port, mysql_password): point SELECTs by primary key
-- from 16 coroutines sharing one connection, and from one coroutine.
local skynet = require "skynet"
local mysql = require "skynet.db.mysql"
local B = require "benchlib"
local D = require "dbbench"

local COROUTINES = 16
local ROWS = 1000

local function check(res, what)
	if res.badresult then
		error(string.format("%s: %s", what, res.err))
	end
	return res
end

local function selects(db, workers, n)
	return n / D.spread(workers, n, function(i)
		local id = i % ROWS + 1
		local rows = check(db:query("SELECT id, name, score FROM bench WHERE id = " .. id), "select")
		if rows[1].id ~= id then
			error("row " .. id .. " came back as " .. tostring(rows[1].id))
		end
	end)
end

B.run(function()
	local db = mysql.connect {
		host = "127.0.0.1", port = assert(tonumber(skynet.getenv "mysql_port")),
		database = "skynet_bench", user = "skynet", password = skynet.getenv "mysql_password",
	}
	check(db:query "DROP TABLE IF EXISTS bench", "drop")
	check(db:query "CREATE TABLE bench (id INT PRIMARY KEY, name VARCHAR(32), score DOUBLE)", "create")
	local values = {}
	for i = 1, ROWS do
		values[i] = string.format("(%d, 'player%d', %d.5)", i, i, i)
	end
	check(db:query("INSERT INTO bench VALUES " .. table.concat(values, ",")), "insert")
	B.report("mysql_point_select_per_s", selects(db, COROUTINES, 40000))
	B.report("mysql_point_select_one_coroutine_per_s", selects(db, 1, 10000))
	db:disconnect()
end)
