-- a skynet.mqueue service for test_mqueue: its handler runs one queued
-- message at a time even when it sleeps; "lua" answers the queue's size
local skynet = require "skynet"
local mqueue = require "skynet.mqueue"

local log = {}

local handlers = {}

function handlers.slow(ticks)
	skynet.sleep(ticks)
	log[#log + 1] = "slow"
	return "slow", ticks
end

function handlers.fast()
	log[#log + 1] = "fast"
	return "fast"
end

function handlers.fail()
	error "refused"
end

function handlers.note(text)
	log[#log + 1] = text
end

function handlers.log()
	return log
end

skynet.start(function()
	mqueue.register(function(cmd, ...)
		return handlers[cmd](...)
	end)
	skynet.dispatch("lua", function()
		skynet.retpack(mqueue.size())
	end)
end)
