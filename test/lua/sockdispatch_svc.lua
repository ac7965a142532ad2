-- A service of test_socket_basic: it loads skynet.socket (whose data handler
-- takes socket data before dispatch), then replaces the socket handler with
-- skynet.dispatch.  Every socket message must now reach the new handler:
-- "listen" opens a listener and returns its port once the handler saw it
-- open, "data" returns the bytes the handler was given so far.
local skynet = require "skynet"
local driver = require "skynet.socketdriver"
require "skynet.socket"

local received = {}
local listen_port -- set by the listener's open event
local waiting     -- the "listen" request waiting for it

skynet.start(function()
	skynet.dispatch("socket", function(_, _, event, _, size, data)
		if event == 2 and size ~= 0 then -- the listener is open on port size
			listen_port = size
			skynet.wakeup(waiting)
		elseif event == 4 then -- accept: size is the new connection
			driver.start(size)
		elseif event == 1 then
			received[#received + 1] = skynet.tostring(data, size)
			driver.drop(data, size)
		end
	end)
	skynet.dispatch("lua", function(_, _, cmd)
		if cmd == "listen" then
			driver.start(driver.listen("127.0.0.1", 0))
			waiting = coroutine.running()
			skynet.wait(waiting)
			skynet.retpack(listen_port)
		else
			skynet.retpack(table.concat(received))
		end
	end)
end)
