-- Parses the protocols once and saves them in slots 1 (c2s) and 2 (s2c)
-- of sproto.core for every agent. It stays alive: the slots point into it.
local skynet = require "skynet"
local sprotoloader = require "sprotoloader"
local proto = require "proto"

skynet.start(function()
	sprotoloader.save(proto.c2s, 1)
	sprotoloader.save(proto.s2c, 2)
end)
