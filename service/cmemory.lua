-- cmemory: prints the C memory of every service (skynet.memory), then exits
local skynet = require "skynet"
local memory = require "skynet.memory"

memory.dumpinfo()
local handles = {}
local info = memory.info()
for handle in pairs(info) do
	handles[#handles + 1] = handle
end
table.sort(handles)
for _, handle in ipairs(handles) do
	print(string.format(":%08x %gK", handle, info[handle] / 1024))
end
print("Total memory:", memory.total())
print("Total block:", memory.block())

skynet.start(function()
	skynet.exit()
end)
