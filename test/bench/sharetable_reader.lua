-- A reader for bench_sharetable: "read" queries a table (sharetable or
-- sharedata), reads every value under it, keeps the table and answers the
-- values read and the seconds the read took; "copy" makes a private plain
-- copy instead and answers the bytes it costs this VM.
local skynet = require "skynet"
local sharetable = require "skynet.sharetable"
local sharedata = require "skynet.sharedata"

local held

local function walk(t)
	local n = 0
	for _, v in pairs(t) do
		n = n + 1
		if type(v) == "table" then
			n = n + walk(v)
		end
	end
	return n
end

local CMD = {}

function CMD.read(lib, name)
	local t0 = skynet.hpc()
	held = (lib == "sharedata" and sharedata or sharetable).query(name)
	local n = walk(held)
	local seconds = (skynet.hpc() - t0) / 1e9
	collectgarbage()
	collectgarbage()
	skynet.retpack(n, seconds)
end

function CMD.copy(name)
	collectgarbage()
	local before = collectgarbage "count"
	held = sharedata.deepcopy(name)
	collectgarbage()
	skynet.retpack((collectgarbage "count" - before) * 1024)
end

skynet.start(function()
	skynet.dispatch("lua", function(_, _, cmd, ...)
		CMD[cmd](...)
	end)
end)
