-- Started by test/sh/test_node_bigvalues.sh: values of megabytes where the
-- core once copied them onto a thread's stack.  The config key
-- bigvalue_case picks what to try; each ends in a result, never a crash.
local skynet = require "skynet"
local core = require "skynet.core"
local T = require "testlib"

local BIG = 9 << 20

local cases = {}

-- arguments of newservice and the name given to launch
function cases.launch()
	local arg = string.rep("a", BIG)
	local svc = skynet.newservice("echo_svc", arg)
	local got = skynet.call(svc, "lua", "args")
	T.eq(#got, BIG, "the argument's length")
	T.eq(got, arg, "the argument")
	T.eq(skynet.launch(string.rep("m", BIG)), nil, "a C service with a 9 MB name")
end

function cases.setenv()
	local key = string.rep("k", BIG)
	skynet.setenv(key, "value")
	T.eq(skynet.getenv(key), "value", "the value of a 9 MB key")
end

-- the config sets a logpath of megabytes
function cases.logon()
	local svc = skynet.newservice("echo_svc")
	core.command("LOGON", skynet.address(svc))
	T.eq(skynet.call(svc, "lua", "echo", "alive"), "alive", "the service after LOGON")
	core.command("LOGOFF", skynet.address(svc))
end

-- the config's bootstrap line is megabytes long: getting here is the test
function cases.bootstrap() end

T.run(function()
	local case = skynet.getenv "bigvalue_case"
	T.ok(cases[case], "bigvalue_case names a case")
	cases[case]()
end)
