-- getenv/setenv: config keys are visible, values are strings, a key set by
-- one service is visible to all
local skynet = require "skynet"
local T = require "testlib"

T.run(function()
	T.eq(skynet.getenv("thread"), "2", "numbers from the config come back as strings")
	T.eq(skynet.getenv("harbor"), "0", "harbor")
	T.eq(skynet.getenv("start"), "test_env", "$TEST was substituted from the environment")
	T.eq(skynet.getenv("bootstrap"), "snlua bootstrap", "string value")
	T.ok(skynet.getenv("luaservice"):find("test/lua/?.lua", 1, true), "concatenated value")
	T.eq(skynet.getenv("no_such_key"), nil, "unknown keys are nil")
	skynet.setenv("test_env_key", "hello world")
	T.eq(skynet.getenv("test_env_key"), "hello world", "setenv then getenv")
	local svc = skynet.newservice("env_svc")
	T.eq(skynet.call(svc, "lua", "test_env_key"), "hello world", "another service sees setenv")
	skynet.call(svc, "lua", "set", "from_other", "42")
	T.eq(skynet.getenv("from_other"), "42", "a key set by another service")
end)
