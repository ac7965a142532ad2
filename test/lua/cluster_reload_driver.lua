-- Node A of test/sh/test_cluster_reload.sh.  16 callers stream calls and
-- numbered one-way sends to node nb while cluster.reload moves node nc
-- back and forth between this node and node C, by table and by re-reading
-- the cluster file.  No call to nb may fail and no send to nb may be lost
-- or reordered; calls to nc go where the table says, and those that fail
-- (in flight while nc moved) fail within the wait instead of hanging.
local skynet = require "skynet"
local cluster = require "skynet.cluster"
local T = require "testlib"

local CALLERS = 16
local RELOADS = 40
local file = skynet.getenv "cluster"
local addresses = { na = skynet.getenv "na_address", nc2 = skynet.getenv "nc2_address" }
local nb_address = skynet.getenv "nb_address"

local stop = false
local nb_calls, nb_failed, nb_wrong = 0, 0, 0
local nc_calls, nc_failed, nc_longest = 0, 0, 0
local sent = {}     -- caller -> sends made to nb

local function nb_caller(id)
	local key = "sender" .. id
	local n = 0
	while not stop do
		n = n + 1
		cluster.send("nb", "@peer", "seq", key, n)
		sent[id] = n
		local ok, v = pcall(cluster.call, "nb", "@peer", "echo", id, n)
		nb_calls = nb_calls + 1
		if not ok then
			nb_failed = nb_failed + 1
			skynet.error("call to the unchanged node failed: " .. tostring(v))
		elseif v ~= id then
			nb_wrong = nb_wrong + 1
		end
	end
end

local function nc_caller()
	while not stop do
		local t0 = skynet.hpc()
		local ok = pcall(cluster.call, "nc", "@peer", "whoami")
		nc_longest = math.max(nc_longest, (skynet.hpc() - t0) / 1e9)
		nc_calls = nc_calls + 1
		if not ok then
			nc_failed = nc_failed + 1
			skynet.sleep(1)
		end
	end
end

local function write_file(nc_target)
	local f = assert(io.open(file, "w"))
	f:write(string.format("__nowaiting = true\n__timeout = 1\nna = %q\nnb = %q\nnc = %q\n",
		addresses.na, nb_address, addresses[nc_target]))
	f:close()
end

-- moves nc to target, by table on odd rounds and by the file on even ones
local function move_nc(round, target)
	if round % 2 == 1 then
		cluster.reload { nc = addresses[target] }
	else
		write_file(target)
		cluster.reload()
	end
end

-- nc answers from target soon after the move
local function answers_from(target)
	local deadline = skynet.now() + 300
	repeat
		local ok, who = pcall(cluster.call, "nc", "@peer", "whoami")
		if ok and who == target then
			return
		end
		skynet.sleep(2)
	until skynet.now() > deadline
	error("nc does not answer from " .. target .. " after the reload")
end

T.run(function()
	local peer = skynet.newservice("cluster_peer")
	cluster.register("peer", peer)
	cluster.open "na"
	T.eq(cluster.call("nc", "@peer", "whoami"), "na", "nc starts as this node")
	for i = 1, CALLERS do
		skynet.fork(nb_caller, i)
	end
	for _ = 1, 4 do
		skynet.fork(nc_caller)
	end
	skynet.sleep(50)
	for round = 1, RELOADS do
		local target = round % 2 == 1 and "nc2" or "na"
		move_nc(round, target)
		answers_from(target)
		skynet.sleep(5)
	end
	stop = true
	skynet.sleep(300) -- every caller's last call is answered or failed
	print(string.format("nb: %d calls, %d failed, %d wrong; nc: %d calls, %d failed, longest %.2f s; %d reloads",
		nb_calls, nb_failed, nb_wrong, nc_calls, nc_failed, nc_longest, RELOADS))
	T.eq(nb_failed, 0, "calls to the unchanged node that failed")
	T.eq(nb_wrong, 0, "calls to the unchanged node answered wrong")
	T.ok(nb_calls > CALLERS * RELOADS, "the callers kept calling through the reloads")
	T.ok(nc_longest < 2.5, string.format("a call to the moving node took %.2f s", nc_longest))
	for id = 1, CALLERS do
		local key = "sender" .. id
		T.eq(cluster.call("nb", "@peer", "get", "gap " .. key), nil, key .. ": a send lost or out of order")
		T.eq(cluster.call("nb", "@peer", "get", key), sent[id], key .. ": sends that arrived")
	end
end)
