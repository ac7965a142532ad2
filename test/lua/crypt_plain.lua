-- Run by the plain lua5.4 interpreter (test/sh/test_crypt_client.sh) from
-- the project root: client programs load crypt as client.crypt from
-- luaclib/client.so and md5 from luaclib/md5.so.
package.cpath = "./luaclib/?.so"
package.path = "./test/lua/?.lua"
local crypt = require "client.crypt"
local md5 = require "md5"
local C = require "crypt_cases"
assert(require "md5.core", "md5.core")
local results = C.all(crypt, md5, tonumber(arg[1]) or 2000)
C.check(results > 0, "the fuzz loop never got a result")
print("client.crypt OK", C.DIFF_DIGEST)
