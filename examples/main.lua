-- The example node's start service: a counter service, a pinger that
-- calls it, a JSON round trip, the total in the datacenter, and the debug console on 127.0.0.1 at the
-- config's console_port (8000).
local skynet = require "skynet"
local cjson = require "cjson"
local datacenter = require "skynet.datacenter"

skynet.start(function()
	skynet.error("Server start")
	local counter = skynet.newservice("counter")
	skynet.error("counter service is", skynet.address(counter))
	for i = 1, 3 do
		local total = skynet.call(counter, "lua", "add", i)
		skynet.error(string.format("add %d -> total %d", i, total))
	end
	skynet.send(counter, "lua", "add", 10) -- one-way: no answer
	skynet.error("total now", skynet.call(counter, "lua", "get"))
	skynet.error("as json:", cjson.encode({ total = skynet.call(counter, "lua", "get") }))
	-- shared with every node of a harbor network (examples/config)
	datacenter.set("example", "total", skynet.call(counter, "lua", "get"))
	local port = tonumber(skynet.getenv "console_port") or 8000
	local ok, console = pcall(skynet.newservice, "debug_console", port)
	if ok then
		skynet.error(string.format("debug console on 127.0.0.1:%d (telnet 127.0.0.1 %d)", port, port))
	else
		skynet.error("no debug console: " .. tostring(console))
	end
	skynet.exit()
end)
