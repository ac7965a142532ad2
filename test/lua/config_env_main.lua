-- Started by test/sh/test_config_env.sh: each $NAME of its config became
-- the variable's value, whatever the value looks like (never code).
local skynet = require "skynet"
local T = require "testlib"

T.run(function()
	for i = 1, 6 do
		T.eq(skynet.getenv("quoted" .. i), os.getenv("SKY_EVIL" .. i), "$SKY_EVIL" .. i .. " in double quotes")
		T.eq(skynet.getenv("single" .. i), os.getenv("SKY_EVIL" .. i), "$SKY_EVIL" .. i .. " in single quotes")
		T.eq(skynet.getenv("bare" .. i), os.getenv("SKY_EVIL" .. i), "$SKY_EVIL" .. i .. " alone")
	end
	T.eq(skynet.getenv("joined"), os.getenv("SKY_PLAIN") .. "/lib", "$SKY_PLAIN in an expression")
	T.eq(skynet.getenv("long"), "<" .. os.getenv("SKY_PLAIN") .. ">", "$SKY_PLAIN in a long string")
	T.eq(skynet.getenv("num"), "42", "a number")
	T.eq(skynet.getenv("plus"), "7", "a number with a plus sign")
	T.eq(skynet.getenv("diff"), "15", "10 -$SKY_NEG")
	T.eq(skynet.getenv("hex"), "16", "a hex number")
	T.eq(skynet.getenv("ratio"), "0.25", "a float")
	T.eq(skynet.getenv("flag"), "true", "true")
	T.eq(skynet.getenv("noflag"), "false", "not $SKY_FLAG")
	T.eq(skynet.getenv("commented"), "yes", "a comment with an unset variable")
end)
