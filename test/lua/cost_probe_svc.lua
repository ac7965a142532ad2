-- A service that uses nothing beyond receiving and answering: it reports
-- what it has loaded and its heap, then what a first use loads
-- (test_service_cost).
local skynet = require "skynet"

local command = {}

function command.state()
	local loaded = {}
	for _, name in ipairs { "io", "os", "math", "utf8", "debug", "skynet.common", "skynet.node", "skynet.extra", "skynet.rare", "skynet.startup" } do
		loaded[name] = package.loaded[name] ~= nil
	end
	collectgarbage("collect")
	return loaded, collectgarbage("count")
end

-- the first use of a name loads the part that has it, and only that part
function command.first_use()
	local sleep_type = type(skynet.sleep)
	return sleep_type, package.loaded["skynet.common"] ~= nil, package.loaded["skynet.node"] ~= nil,
		package.loaded["skynet.extra"] ~= nil
end

-- a name of the second part loads it, and not the third
function command.node_use()
	local getenv_type = type(skynet.getenv)
	return getenv_type, package.loaded["skynet.node"] ~= nil, package.loaded["skynet.extra"] ~= nil
end

function command.rare_loaded()
	return package.loaded["skynet.rare"] ~= nil
end

-- an unknown name loads every part, then is nil
function command.unknown_name()
	return skynet.no_such_api == nil, package.loaded["skynet.extra"] ~= nil
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd)
		skynet.ret(skynet.pack(command[cmd]()))
	end)
end)
