-- A reader of skynet.stm for test_stm: "attach" makes a reader from a
-- ticket, "read" answers what the reader gives (changed?, values...).
local skynet = require "skynet"
local stm = require "skynet.stm"
local R = require "reader_lib"

local reader

local CMD = {}

function CMD.attach(ticket)
	reader = stm.newcopy(ticket)
	skynet.retpack(true)
end

function CMD.read()
	skynet.retpack(reader(skynet.unpack))
end

-- reads in a loop while the writer publishes; answers the values seen in order
function CMD.follow(n)
	local seen = {}
	while #seen < n do
		local changed, v = reader(skynet.unpack)
		if changed then
			seen[#seen + 1] = v
		end
		skynet.sleep(0)
	end
	skynet.retpack(seen)
end

R.serve(CMD)
