-- skynet.crypt and md5 inside a node: published vectors, skynet's own
-- constructions against values captured from skynet, bad input, a fuzz loop
-- (run under SANITIZE=1 too), and three services hashing at once.
local skynet = require "skynet"
local crypt = require "skynet.crypt"
local md5 = require "md5"
local C = require "crypt_cases"
local T = require "testlib"

local function same_library_everywhere()
	local client = require "client.crypt"
	T.eq(client.hashkey("x"), crypt.hashkey("x"), "client.crypt in a node")
	T.eq(require("md5.core").sumhexa("abc"), md5.sumhexa("abc"), "md5.core")
end

local function concurrent()
	local workers = {}
	for i = 1, 3 do
		workers[i] = skynet.newservice("crypt_worker_svc")
	end
	local waits = {}
	for i, w in ipairs(workers) do
		waits[i] = T.started(skynet.call, w, "lua", "differential")
	end
	for i, wait in ipairs(waits) do
		local ok, err = wait(3000, "worker " .. i)
		T.ok(ok, "worker " .. i .. ": " .. tostring(err))
	end
	for _, w in ipairs(workers) do
		skynet.kill(w)
	end
end

T.run(function()
	local results = C.all(crypt, md5, 3000)
	T.ok(results > 1000, "the fuzz loop got results (" .. results .. ")")
	same_library_everywhere()
	concurrent()
end)
