-- The node of test/sh/test_net_storm.sh: a socket.listen listener and a
-- gate, both with the default backlog, on storm_listen_port and
-- storm_gate_port; prints "STORM <kind> <n>" when n connections of
-- storm_count have been accepted on each.
local skynet = require "skynet"
local socket = require "skynet.socket"

local count = tonumber(skynet.getenv "storm_count")
local accepted = { listen = 0, gate = 0 }

local function accept(kind)
	accepted[kind] = accepted[kind] + 1
	if accepted[kind] == count then
		print(string.format("STORM %s %d", kind, count))
	end
end

skynet.start(function()
	-- the gate tells its watchdog (us) about every client
	skynet.dispatch("lua", function(_, _, what, event)
		if what == "socket" and event == "open" then
			accept "gate"
		end
	end)
	local id = socket.listen("127.0.0.1", tonumber(skynet.getenv "storm_listen_port"))
	socket.start(id, function() accept "listen" end)
	local gate = skynet.newservice "gate"
	skynet.call(gate, "lua", "open", {
		address = "127.0.0.1",
		port = tonumber(skynet.getenv "storm_gate_port"),
		maxclient = count + 1,
		watchdog = skynet.self(),
	})
	print "STORM READY"
end)
