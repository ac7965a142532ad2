-- The part of skynet's everyday API that message handlers use less: raw
-- messages (rawcall, rawsend, redirect), sessions, names and addresses,
-- env, stats, messages nobody expects, starting services.
-- skynet.lua loads it on the first use of one of its names, after
-- skynet/common.lua.  I holds skynet.lua's internals.
return function(skynet, I)
	local c = I.c
	local c_send = c.send
	local proto = I.proto
	local session_coroutine_tracetag = I.session_coroutine_tracetag
	local new_session = I.new_session
	local running_thread = I.running_thread

	-- ---- raw messages and sessions ----

	function skynet.rawcall(addr, typename, msg, sz)
		local tag = session_coroutine_tracetag[running_thread()]
		if tag then
			skynet.tracelog(tag, "call", 2)
			c_send(addr, skynet.PTYPE_TRACE, 0, tag)
		end
		local p = proto[typename]
		local session = new_session()
		if c_send(addr, p.id, session, msg, sz) == nil then
			error("call to invalid address " .. skynet.address(addr))
		end
		return I.yield_call(addr, session)
	end

	function skynet.rawsend(addr, typename, msg, sz)
		local p = proto[typename]
		return c_send(addr, p.id, 0, msg, sz)
	end

	function skynet.redirect(dest, source, typename, session, msg, sz)
		return c.redirect(dest, source, proto[typename].id, session, msg, sz)
	end

	function skynet.ignoreret()
		I.take_session(running_thread())
	end

	function skynet.context()
		return I.request(running_thread())
	end

	function skynet.genid()
		return new_session()
	end

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
