-- Started by test/sh/test_config_include.sh: checks what its config set.
local skynet = require "skynet"
local T = require "testlib"

T.run(function()
	T.eq(skynet.getenv("thread"), "3", "thread from $SKY_THREADS")
	T.eq(skynet.getenv("greeting"), "hello from env", "$SKY_GREETING inside a string")
	T.eq(skynet.getenv("sub_key"), "from sub", "key from an included file")
	T.eq(skynet.getenv("deep_key"), "deep", "key from a file included by an included file")
	T.eq(skynet.getenv("override"), "main", "later assignments win")
	T.eq(skynet.getenv("answer"), "42", "unknown integer key")
	T.eq(skynet.getenv("ratio"), "1.5", "unknown float key")
	T.eq(skynet.getenv("flag"), "true", "unknown boolean key")
	T.eq(skynet.getenv("computed"), "a-b", "values computed in the config")
end)
