-- a snax service for test_snax, shaped like skynet's pingserver
local skynet = require "skynet"
local queue = require "skynet.queue"
local snax = require "skynet.snax"

local i = 0
local hello = "hello"
local lock
local init_args
local recorder

function response.ping(x)
	skynet.sleep(2)
	return x
end

function response.count()
	return i, hello
end

function accept.hello()
	lock(function()
		i = i + 1
	end)
end

function response.error()
	error "throw an error"
end

function response.whoami()
	return snax.self().handle, SERVICE_NAME, init_args
end

function accept.exit(...)
	snax.exit(...)
end

function response.burn(seconds)
	local t0 = os.clock()
	while os.clock() - t0 < seconds do end
	return true
end

function init(who, ...)
	recorder = math.tointeger(who)
	init_args = table.concat({ ... }, " ")
	snax.enablecluster()
	lock = queue()
end

function exit(...)
	if recorder and recorder ~= 0 then
		skynet.send(recorder, "lua", "exited", skynet.self(), ...)
	end
end
