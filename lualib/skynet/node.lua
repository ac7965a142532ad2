-- The part of skynet's API about the node around a service: names and
-- addresses, env, stats, messages nobody expects, starting services.
-- skynet.lua loads it on the first use of one of its names, after
-- skynet/common.lua.  I holds skynet.lua's internals.
return function(skynet, I)
	local c = I.c

	-- ---- addresses and names ----

	function skynet.localname(name)
		return c.addresscommand("QUERY", name)
	end

	function skynet.address(addr)
		if type(addr) == "number" then
			return string.format(":%08x", addr)
		end
		return tostring(addr)
	end

	function skynet.harbor(addr)
		return c.harbor(addr)
	end

	-- ---- messages nobody expects ----

	-- each returns the handler it replaces (skynet/rare.lua's by default)
	function skynet.dispatch_unknown_request(unknown)
		local prev = I.unknown.request or I.rare().unknown_request
		I.unknown.request = unknown
		return prev
	end

	function skynet.dispatch_unknown_response(unknown)
		local prev = I.unknown.response or I.rare().unknown_response
		I.unknown.response = unknown
		return prev
	end

	-- ---- env and stats ----

	function skynet.getenv(key)
		return (c.command("GETENV", key)) -- nil, not nothing, for a missing key
	end

	function skynet.setenv(key, value)
		if c.command("GETENV", key) ~= nil then
			error("Can't setenv exist key : " .. key)
		end
		c.command("SETENV", key .. " " .. value)
	end

	function skynet.memlimit(bytes)
		debug.getregistry().memlimit = bytes
		skynet.memlimit = nil -- only once, before the service starts
	end

	function skynet.stat(what)
		return c.intcommand("STAT", what)
	end

	function skynet.mqlen()
		return skynet.stat "mqlen"
	end

	-- ---- services ----

	function skynet.newservice(name, ...)
		local addr, err = skynet.call(".launcher", "lua", "LAUNCH", "snlua", name, ...)
		if addr == nil then
			error(string.format("newservice %s failed: %s", name, tostring(err)), 2)
		end
		return addr
	end

	-- service_mgr's cmd, or its global variant when the first argument is true
	local function service_mgr_call(cmd, global, ...)
		if global == true then
			return assert(skynet.call(".service", "lua", "G" .. cmd, ...))
		end
		return assert(skynet.call(".service", "lua", cmd, global, ...))
	end

	function skynet.uniqueservice(global, ...)
		return service_mgr_call("LAUNCH", global, ...)
	end

	function skynet.queryservice(global, ...)
		return service_mgr_call("QUERY", global, ...)
	end
end
