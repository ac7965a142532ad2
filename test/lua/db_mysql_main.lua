-- skynet.db.mysql against a real MariaDB server (test/sh/test_db_mysql.sh
-- starts it on mysql_port with user skynet / mysql_password and restarts it
-- whenever it exits).  Covers skynet's testmysql.lua behaviour and: every
-- column type in the text and binary protocols, errors, several result
-- sets, stored procedures, quoting, prepared statements, packets over
-- 16 MB, 1,000 coroutines on one connection, reconnecting after a server
-- restart, and malformed packets from a fake server.
local skynet = require "skynet"
local socket = require "skynet.socket"
local mysql = require "skynet.db.mysql"
local T = require "testlib"

local connects = 0
local conf = {
	host = "127.0.0.1",
	port = assert(tonumber(skynet.getenv "mysql_port"), "mysql_port"),
	database = "skynet_test",
	user = "skynet",
	password = skynet.getenv "mysql_password",
	charset = "utf8mb4",
	max_packet_size = 64 * 1024 * 1024,
	on_connect = function(db)
		connects = connects + 1
		db:query "set sql_mode = 'STRICT_ALL_TABLES'"
	end,
}

local function with(changes)
	return T.with(conf, changes)
end

local function ok_query(db, sql)
	local res = db:query(sql)
	if res.badresult then
		error(string.format("%s: %s (%s)", sql, res.err, res.errno), 2)
	end
	return res
end

local function test_login()
	T.ok(not pcall(mysql.connect, with { password = "wrong" }), "a wrong password fails")
	T.ok(not pcall(mysql.connect, with { password = "" }), "no password fails")
	T.ok(not pcall(mysql.connect, with { database = "not_mine" }), "a database without grants fails")
	T.raises("unknown charset", mysql.connect, with { charset = "klingon" })
end

local ALL_TYPES = [[
create table types (
	id int primary key auto_increment,
	t tinyint, tu tinyint unsigned, s smallint, m mediumint, i int, b bigint,
	bu bigint unsigned, f float, d double, dec1 decimal(10,2), y year,
	da date, dt datetime, dt6 datetime(6), ts timestamp null, ti time,
	c char(4), v varchar(20), tx text, bl blob, bi binary(3), bt bit(8),
	e enum('a','b'), st set('x','y'), j json, n int
)]]

local function check_row(row, binary)
	local what = binary and "binary " or "text "
	T.eq(row.t, -128, what .. "tinyint")
	T.eq(row.tu, 255, what .. "tinyint unsigned")
	T.eq(row.s, -32768, what .. "smallint")
	T.eq(row.m, -8388608, what .. "mediumint")
	T.eq(row.i, -2147483648, what .. "int")
	T.eq(row.b, math.mininteger, what .. "bigint")
	T.eq(row.bu, 18446744073709551615.0, what .. "bigint unsigned max")
	T.eq(math.type(row.i), "integer", what .. "integers are integers")
	T.ok(math.abs(row.f - 1.5) < 1e-6, what .. "float")
	T.eq(row.d, 2.25, what .. "double")
	T.eq(row.dec1, 12345.67, what .. "decimal")
	T.eq(row.y, 2024, what .. "year")
	T.eq(row.da, "2024-02-29", what .. "date")
	T.eq(row.dt, "2024-02-29 23:59:58", what .. "datetime")
	T.eq(row.dt6, "2024-02-29 23:59:58.123456", what .. "datetime(6)")
	T.eq(row.ts, "2001-02-03 04:05:06", what .. "timestamp")
	T.eq(row.ti, "-838:59:59", what .. "time")
	T.eq(row.c, "ab", what .. "char")
	T.eq(row.v, "héllo 😀", what .. "varchar (utf8mb4)")
	T.eq(row.tx, "long text", what .. "text")
	T.eq(row.bl, "\0\1\2\255", what .. "blob")
	T.eq(row.bi, "x\0\0", what .. "binary(3)")
	T.eq(row.bt, "\129", what .. "bit(8)")
	T.eq(row.e, "b", what .. "enum")
	T.eq(row.st, "x,y", what .. "set")
	T.eq(row.j, '{"k": [1, 2]}', what .. "json")
	T.eq(row.n, nil, what .. "NULL")
end

local function test_types(db)
	ok_query(db, "drop table if exists types")
	ok_query(db, ALL_TYPES)
	local res = ok_query(db, [[
insert into types values (null, -128, 255, -32768, -8388608, -2147483648, -9223372036854775808,
	18446744073709551615, 1.5, 2.25, 12345.67, 2024, '2024-02-29', '2024-02-29 23:59:58',
	'2024-02-29 23:59:58.123456', '2001-02-03 04:05:06', '-838:59:59', 'ab', 'héllo 😀',
	'long text', x'000102ff', 'x', b'10000001', 'b', 'y,x', '{"k": [1, 2]}', null)]])
	T.eq(res.affected_rows, 1, "insert affected_rows")
	T.eq(res.insert_id, 1, "insert_id")
	T.eq(type(res.server_status), "number", "server_status")
	T.eq(res.warning_count, 0, "warning_count")
	local rows = ok_query(db, "select * from types")
	T.eq(#rows, 1, "one row")
	check_row(rows[1], false)
	local stmt = db:prepare "select * from types where id = ?"
	T.ok(not stmt.badresult, "prepare")
	T.eq(stmt.param_count, 1, "param_count")
	T.eq(stmt.field_count, 27, "field_count")
	T.eq(#stmt.fields, 27, "fields")
	T.eq(stmt.fields[2].name, "t", "field name")
	local brows = db:execute(stmt, 1)
	T.eq(#brows, 1, "binary row")
	check_row(brows[1], true)
	T.eq(#db:execute(stmt, 2), 0, "no row for id 2")
	db:stmt_close(stmt)
	-- zero dates and empty times, binary and text
	ok_query(db, "set sql_mode = ''")
	ok_query(db, "insert into types (id, da, dt, ti) values (5, '0000-00-00', '0000-00-00 00:00:00', '00:00:00')")
	local zero = ok_query(db, "select da, dt, ti from types where id = 5")[1]
	stmt = db:prepare "select da, dt, ti from types where id = 5"
	local bzero = db:execute(stmt)[1]
	for _, k in ipairs { "da", "dt", "ti" } do
		T.eq(bzero[k], zero[k], "zero value " .. k .. " in both protocols")
	end
	db:stmt_close(stmt)
	ok_query(db, "set sql_mode = 'STRICT_ALL_TABLES'")
end

local function test_errors(db)
	local res = db:query "select * from nope"
	T.eq(res.badresult, true, "badresult")
	T.eq(res.errno, 1146, "errno")
	T.eq(res.sqlstate, "42S02", "sqlstate")
	T.eq(res.err, "Table 'skynet_test.nope' doesn't exist", "err")
	res = db:query "selec 1"
	T.eq(res.errno, 1064, "syntax error errno")
	T.eq(res.sqlstate, "42000", "syntax error sqlstate")
	T.eq(ok_query(db, "select 1 as one")[1].one, 1, "the connection still works")
	local stmt = db:prepare "select * from nope where a = ?"
	T.eq(stmt.badresult, true, "prepare error")
	T.eq(stmt.errno, 1146, "prepare errno")
end

local function test_multi(db)
	local res = ok_query(db, "select 1 as a; select 'x' as b, null as c; update types set n = 1 where id = 1")
	T.eq(res.multiresultset, true, "multiresultset")
	T.eq(#res, 3, "three results")
	T.eq(res[1][1].a, 1, "first result")
	T.eq(res[2][1].b, "x", "second result")
	T.eq(res[3].affected_rows, 1, "third result is OK")
	res = db:query "select 1 as a; select * from nope; select 3"
	T.eq(res.multiresultset, true, "multi with an error")
	T.eq(res.badresult, true, "badresult in a multi result")
	T.eq(res.errno, 1146, "its errno")
	T.eq(res[1][1].a, 1, "the result before the error")
	T.eq(ok_query(db, "select 4 as x")[1].x, 4, "the connection is in step afterwards")

	-- a stored procedure: its rows, then its status
	ok_query(db, "drop procedure if exists get_types")
	ok_query(db, "create procedure get_types(in want int) begin select id, v from types where id = want; end")
	res = ok_query(db, "call get_types(1)")
	T.eq(res.multiresultset, true, "CALL gives several results")
	T.eq(res[1][1].v, "héllo 😀", "procedure rows")
	T.eq(type(res[2].affected_rows), "number", "procedure status")
end

local function test_quote(db)
	local all = {}
	for i = 0, 255 do
		all[#all + 1] = string.char(i)
	end
	local bytes = table.concat(all) .. "'\"\\ ; drop table types; --"
	T.eq(mysql.quote_sql_str "it's \"q\"\n", [['it\'s \"q\"\n']], "quote_sql_str")
	ok_query(db, "drop table if exists blobs")
	ok_query(db, "create table blobs (id int primary key, data longblob)")
	ok_query(db, "insert into blobs values (1, " .. mysql.quote_sql_str(bytes) .. ")")
	T.eq(ok_query(db, "select data from blobs where id = 1")[1].data, bytes, "quoted bytes round trip")
	T.ok(#ok_query(db, "show tables like 'types'") == 1, "the table survived the injection attempt")
end

local function test_prepared(db)
	ok_query(db, "drop table if exists cats")
	ok_query(db, "create table cats (id serial primary key, name varchar(10), age int, weight double, alive bool, note text)")
	local insert = db:prepare "insert into cats (name, age, weight, alive, note) values (?, ?, ?, ?, ?)"
	T.eq(insert.param_count, 5, "insert params")
	local res = db:execute(insert, "Bob", 3, 4.5, true, nil)
	T.eq(res.affected_rows, 1, "execute insert")
	T.eq(res.insert_id, 1, "execute insert_id")
	db:execute(insert, "Tom", -7, 0.25, false, string.rep("n", 300))
	T.raises("require stmt.param_count 5 get arg_num 1", db.execute, db, insert, "x")
	T.raises("invalid parameter type table", db.execute, db, insert, {}, 1, 1, 1, 1)
	local select = db:prepare "select * from cats where name = ?"
	local rows = db:execute(select, "Bob")
	T.eq(#rows, 1, "execute select")
	T.eq(rows[1].id, 1, "id (bigint unsigned)")
	T.eq(rows[1].age, 3, "age")
	T.eq(rows[1].weight, 4.5, "weight")
	T.eq(rows[1].alive, 1, "bool is a tinyint")
	T.eq(rows[1].note, nil, "NULL parameter")
	rows = db:execute(select, "Tom")
	T.eq(rows[1].age, -7, "negative integer parameter")
	T.eq(#rows[1].note, 300, "long string parameter")
	T.eq(db:stmt_reset(select).affected_rows, 0, "stmt_reset")
	db:stmt_close(select)
	res = db:execute(select, "Bob")
	T.eq(res.badresult, true, "execute after stmt_close fails")
	T.eq(res.errno, 1243, "unknown statement errno")
	db:stmt_close(insert)
	-- a procedure through the binary protocol
	local call = db:prepare "call get_types(?)"
	res = db:execute(call, 1)
	T.eq(res.multiresultset, true, "execute of CALL gives several results")
	T.eq(res[1][1].v, "héllo 😀", "binary procedure rows")
	db:stmt_close(call)

	db:set_compact_arrays(true)
	rows = ok_query(db, "select id, name from cats order by id")
	T.eq(rows[2][2], "Tom", "compact arrays")
	db:set_compact_arrays(false)
	T.eq(ok_query(db, "select name from cats order by id")[2].name, "Tom", "named columns again")
end

-- 20 MB both ways: the query and the row each span two packets
local function test_big(db)
	local big = string.rep("0123456789", 2 * 1024 * 1024)
	ok_query(db, "insert into blobs values (2, '" .. big .. "')")
	local back = ok_query(db, "select data from blobs where id = 2")[1].data
	T.eq(#back, #big, "20 MB value length")
	T.ok(back == big, "20 MB value bytes")
	local stmt = db:prepare "select data, length(data) as len from blobs where id = ?"
	local row = db:execute(stmt, 2)[1]
	T.eq(row.len, #big, "length through the binary protocol")
	T.ok(row.data == big, "20 MB value through the binary protocol")
	db:stmt_close(stmt)
end

local function test_concurrency(db)
	T.parallel_checked(1000, 2000, "1000 coroutines on one connection", function(i)
		local rows = db:query("select " .. i .. " * 3 as v, '" .. i .. "' as s")
		return not rows.badresult and rows[1].v == i * 3 and rows[1].s == tostring(i)
	end)
end

-- the server shuts down and is restarted: the next queries reconnect
local function test_restart(db)
	local before = connects
	local killer = mysql.connect(conf)
	pcall(killer.query, killer, "shutdown")
	killer:disconnect()
	local deadline = skynet.now() + 3000
	local ok, res
	repeat
		skynet.sleep(20)
		ok, res = pcall(db.query, db, "select count(*) as n from cats")
	until (ok and not res.badresult) or skynet.now() > deadline
	T.ok(ok and not res.badresult, "a query works after the restart")
	T.eq(res[1].n, 2, "the data survived the restart")
	T.ok(connects >= before + 2, "on_connect ran again (" .. connects - before .. " connects)")
	T.eq(ok_query(db, "select @@sql_mode as m")[1].m, "STRICT_ALL_TABLES", "on_connect's session settings")
end

-- A fake server: a handshake, an OK for the login, then what the test wants
local function fake_server(answers)
	local listen_id, _, port = socket.listen("127.0.0.1", 0)
	local index = 0
	socket.start(listen_id, function(id)
		index = index + 1
		local answer = answers[index] or answers[#answers]
		socket.start(id)
		skynet.fork(function()
			local greeting = string.pack("<Bz I4 c8 x I2 B I2 I2 B", 10, "5.5.5-10.11-fake", 1,
				"abcdefgh", 0xf7ff, 45, 2, 0x81bf, 21) .. string.rep("\0", 10) .. "ijklmnopqrst\0mysql_native_password\0"
			socket.write(id, answer.handshake or string.pack("<I3B", #greeting, 0) .. greeting)
			local header = socket.read(id, 4)
			if header then
				socket.read(id, (string.unpack("<I3", header)))
				socket.write(id, "\7\0\0\2\0\0\0\2\0\0\0")
				header = socket.read(id, 4)
				if header then
					socket.read(id, (string.unpack("<I3", header)))
					socket.write(id, answer.reply)
				end
			end
			skynet.sleep(10)
			socket.close(id)
		end)
	end)
	return listen_id, port
end

local function test_malformed()
	local listen_id, port = fake_server {
		{ reply = "\1\0\0\1" },                             -- truncated: column count, then nothing
		{ reply = "\1\0\0\1\1\5\0\0\2\3def" },              -- a column definition cut short
		{ reply = "\9\0\0\1\255\1\0" },                      -- ERR packet shorter than its header says
		{ reply = "\1\0\0\1\254" },                          -- a bare EOF where a result belongs
		{ reply = "\2\0\0\1\252\255" },                      -- length-encoded count cut short
	}
	local db = mysql.connect { host = "127.0.0.1", port = port, user = "u", password = "p" }
	for i = 1, 5 do
		local ok, res = pcall(db.query, db, "select 1")
		T.ok(not ok or res.badresult, "malformed reply " .. i .. " is an error")
	end
	db:disconnect()
	socket.close(listen_id)
	listen_id, port = fake_server { { handshake = "\5\0\0\0\9garbage" } }
	T.ok(not pcall(mysql.connect, { host = "127.0.0.1", port = port }), "a garbage handshake fails the connect")
	socket.close(listen_id)
end

T.run(function()
	test_login()
	local db = mysql.connect(conf)
	T.ok(db:server_ver():find("MariaDB", 1, true), "server version " .. db:server_ver())
	T.eq(db:ping().server_status ~= nil, true, "ping")
	test_types(db)
	test_errors(db)
	test_multi(db)
	test_quote(db)
	test_prepared(db)
	test_big(db)
	test_concurrency(db)
	test_restart(db)
	test_malformed()
	db:disconnect()
	T.raises(nil, function()
		return db:query "select 1"
	end)
end)
