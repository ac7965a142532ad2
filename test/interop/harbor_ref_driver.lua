-- Our node in harbor_ref.sh: with harbor_driver, registers "oursnode", then
-- calls the reference skynet's "refnode" (harbor_ref_node.lua) and has it
-- call us back.
local skynet = require "skynet"
require "skynet.manager"
local harbor = require "skynet.harbor"
local datacenter = require "skynet.datacenter"
local peer = require "harbor_peer"

local command, id = peer.commands()

local function check(ok, what)
	print((ok and "ok\t" or "FAILED\t") .. what)
	return ok
end

local function drive()
	local all = true
	local h = harbor.queryname("refnode")
	local ref_id = skynet.harbor(h)
	all = check(ref_id ~= id, "refnode's handle is on harbor " .. ref_id) and all
	local rid, rh = skynet.call("refnode", "lua", "ping")
	all = check(rid == ref_id and rh == h, "call refnode by global name") and all
	all = check(skynet.call(h, "lua", "ping") == ref_id, "call refnode by handle") and all
	local values = { "s", 1, -70000, 2 ^ 40, 1.25, true, { 1, 2, k = { "v" } } }
	local r = table.pack(skynet.call(h, "lua", "echo", table.unpack(values)))
	local same = r.n == #values
	for i = 1, 6 do
		same = same and r[i] == values[i]
	end
	same = same and r[7][2] == 2 and r[7].k[1] == "v"
	all = check(same, "values of every type there and back") and all
	for _, size in ipairs { 100, 70000, 1 << 20 } do
		local big = string.rep("b", size)
		all = check(skynet.call(h, "lua", "echo", big) == big, size .. " bytes there and back") and all
	end
	datacenter.set("ours", "value", 42)
	local a, b, hid, v = skynet.call(h, "lua", "check")
	all = check(a == id and b == id and hid == id and v == 42, "refnode calls us by name and handle, datacenter") and all
	all = check(datacenter.get("ref", "seen") == skynet.self(), "the reference node's datacenter.set") and all
	all = check(skynet.call(h, "lua", "relay", "oursnode", "ping") == id, "refnode relays to us") and all
	print(all and "INTEROP PASS" or "INTEROP FAILED")
	skynet.abort()
end

skynet.start(function()
	peer.serve(command)
	skynet.error("OURS NODE READY")
	if skynet.getenv "harbor_driver" then -- the node that only runs the master stays quiet
		skynet.register("oursnode")
		skynet.fork(drive)
	end
end)
