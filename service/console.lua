-- The stdin console: each line typed on the node's standard input names a
-- service to launch, with its arguments ("snax NAME ..." for a snax
-- service).  Start it with skynet.newservice "console".
local skynet = require "skynet"
local socket = require "skynet.socket"

local function split_words(line)
	local words = {}
	for w in line:gmatch "%S+" do
		words[#words + 1] = w
	end
	return words
end

local function launch(words)
	if words[1] == "snax" then
		local snax = require "skynet.snax"
		return snax.newservice(table.unpack(words, 2)).handle
	end
	return skynet.newservice(table.unpack(words))
end

local function console_loop(stdin)
	while true do
		local line = socket.readline(stdin, "\n")
		if not line then
			break
		end
		local words = split_words(line)
		if words[1] then
			local ok, addr = pcall(launch, words)
			if ok then
				skynet.error(string.format("Launched %s: %s", skynet.address(addr), line))
			else
				skynet.error(string.format("Launch %s failed: %s", line, addr))
			end
		end
	end
	skynet.error "stdin closed, console stops reading"
end

skynet.start(function()
	local stdin = socket.stdin()
	if stdin then
		skynet.fork(console_loop, stdin)
	else
		skynet.error "console: can't read stdin"
	end
end)
