-- Reads ("key") and sets ("set", key, value) environment keys for test_env.
local skynet = require "skynet"

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, key, value)
		if cmd == "set" then
			skynet.setenv(key, value)
			skynet.retpack(true)
		else
			skynet.retpack(skynet.getenv(cmd))
		end
	end)
end)
