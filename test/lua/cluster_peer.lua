-- The service the cluster tests call on every node: a small key-value
-- store with commands to echo, fail, sleep and answer large values.
local skynet = require "skynet"
local cluster = require "skynet.cluster"

local store = {}
local CMD = {}

function CMD.echo(...)
	return ...
end

function CMD.set(k, v)
	store[k] = v
end

function CMD.get(k)
	return store[k]
end

-- one-way messages numbered 1, 2, ... under key k: store[k] is the last
-- that came in order; one out of order is kept as store["gap " .. k]
function CMD.seq(k, n)
	if n == (store[k] or 0) + 1 then
		store[k] = n
	else
		store["gap " .. k] = store["gap " .. k] or n
	end
end

-- the node this peer runs on (config key cluster_self)
function CMD.whoami()
	return skynet.getenv "cluster_self"
end

function CMD.fail(text)
	error(text)
end

function CMD.sleep(ticks)
	skynet.sleep(ticks)
	return "slept"
end

function CMD.big(n, ch)
	return string.rep(ch, n), n
end

function CMD.len(s)
	return #s, s:sub(1, 8), s:sub(-8)
end

-- calls back through the cluster: node A -> B -> A
function CMD.callback(node, addr, ...)
	return cluster.call(node, addr, ...)
end

skynet.start(function()
	skynet.dispatch("lua", function(session, _, cmd, ...)
		local f = assert(CMD[cmd], cmd)
		if session == 0 then
			f(...)
		else
			skynet.retpack(f(...))
		end
	end)
end)
