-- test_crypt's worker: runs the differential calls on request
local skynet = require "skynet"
local crypt = require "skynet.crypt"
local md5 = require "md5"
local C = require "crypt_cases"

skynet.start(function()
	skynet.dispatch("lua", function()
		C.differential(crypt, md5)
		C.fuzz(crypt, md5, 300)
		skynet.retpack(true)
	end)
end)
