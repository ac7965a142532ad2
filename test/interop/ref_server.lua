-- Interop, skynet's examples/cluster2.lua (run on the reference skynet)
-- calling our node: what skynet's cluster1.lua does, without snax (this
-- framework has none).
local skynet = require "skynet"
require "skynet.manager"
local cluster = require "skynet.cluster"

skynet.start(function()
	cluster.reload { db = "127.0.0.1:2528", db2 = "127.0.0.1:2529" }
	local sdb = skynet.newservice("simpledb")
	cluster.register("sdb", sdb)
	cluster.unregister("sdb")
	cluster.register("sdb", sdb)
	print(skynet.call(sdb, "lua", "SET", "a", "foobar"))
	print(skynet.call(sdb, "lua", "SET", "b", "foobar2"))
	print(skynet.call(sdb, "lua", "GET", "a"))
	print(skynet.call(sdb, "lua", "GET", "b"))
	cluster.open "db"
	cluster.open "db2"
	print("ref_server ready")
end)
