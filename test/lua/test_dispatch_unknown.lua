-- dispatch_unknown_request/dispatch_unknown_response: messages nobody
-- dispatches reach the hooks; the previous hook is returned
local skynet = require "skynet"
local T = require "testlib"

T.run(function()
	skynet.register_protocol { name = "client", id = skynet.PTYPE_CLIENT,
		pack = skynet.packstring, unpack = skynet.unpack }
	local got
	local prev = skynet.dispatch_unknown_request(function(session, source, msg, sz, prototype)
		got = { session = session, source = source, body = skynet.tostring(msg, sz), prototype = prototype }
	end)
	T.eq(type(prev), "function", "the previous hook is returned")
	skynet.send(skynet.self(), "client", "no dispatcher")
	skynet.sleep(1)
	T.ok(got, "unknown request hook called")
	T.eq(got.session, 0, "request session")
	T.eq(got.source, skynet.self(), "request source")
	T.eq(skynet.unpack(got.body), "no dispatcher", "request body")
	T.ok(got.prototype == skynet.PTYPE_CLIENT or got.prototype == "client", "request prototype")
	skynet.dispatch_unknown_request(prev)

	local response
	local prev_response = skynet.dispatch_unknown_response(function(session, source, msg, sz)
		response = { session = session, source = source, body = skynet.tostring(msg, sz) }
	end)
	T.eq(type(prev_response), "function", "the previous response hook is returned")
	local session = 0x7ffff000
	skynet.redirect(skynet.self(), skynet.self(), "response", session, "stray")
	skynet.sleep(1)
	T.ok(response, "unknown response hook called")
	T.eq(response.session, session, "stray response session")
	T.eq(response.body, "stray", "stray response body")
	skynet.dispatch_unknown_response(prev_response)
end)
