-- snax: newservice/uniqueservice/globalservice/query*, post and req,
-- init/exit, hotfix keeping state (also under load), profile info, kill,
-- the "lua" entry of enablecluster, bad input
local skynet = require "skynet"
local snax = require "skynet.snax"
local T = require "testlib"

local exited = {} -- handle -> arguments of its exit()
local me = skynet.self()

local function basic()
	local ps = snax.newservice("pingsvc", me, "hello", "world")
	T.eq(ps.type, "pingsvc", "type")
	T.eq(tostring(ps), string.format("[pingsvc:%x]", ps.handle), "tostring")
	T.eq(ps.req.ping("foobar"), "foobar", "req answers")
	for _ = 1, 3 do
		ps.post.hello()
	end
	T.eq(ps.req.count(), 3, "posts arrived in order before the req")
	local handle, name, args = ps.req.whoami()
	T.eq(handle, ps.handle, "snax.self inside the service")
	T.eq(name, "pingsvc", "SERVICE_NAME is the snax name")
	T.eq(args, "hello world", "init got the arguments")
	T.raises("call failed", ps.req.error)
	T.eq(ps.req.ping("alive"), "alive", "alive after an error")
	T.raises("request pingsvc:nosuch no exist", function() return ps.req.nosuch end)
	T.raises("post pingsvc:nosuch no exist", function() return ps.post.nosuch end)
	T.eq(snax.bind(ps.handle, "pingsvc"), ps, "bind gives the same object")
	-- enablecluster: the same methods through the lua protocol
	local id = snax.interface("pingsvc").response.ping
	T.eq(skynet.call(ps.handle, "lua", id, "via lua"), "via lua", "lua entry")
	return ps
end

local function managed()
	local a = snax.uniqueservice("pingsvc", me, "unique")
	local b = snax.uniqueservice("pingsvc", me, "again")
	T.eq(a.handle, b.handle, "uniqueservice starts one")
	T.eq(select(3, a.req.whoami()), "unique", "first caller's init arguments")
	T.eq(snax.queryservice("pingsvc").handle, a.handle, "queryservice")
	local g = snax.globalservice("pingsvc", me, "global")
	T.eq(snax.queryglobal("pingsvc").handle, g.handle, "queryglobal")
	-- a plain unique service of the same name is another entry
	T.raises(nil, skynet.uniqueservice, "pingsvc")
	T.raises(nil, snax.newservice, "no_such_snax")
	T.raises(nil, snax.newservice, "failinit")
	T.raises(nil, snax.uniqueservice, "failinit")
end

local PATCH = [[
local i
local hello

function accept.hello()
	i = i + 10
	hello = "fixed"
end

function hotfix(n)
	local old = i
	i = n
	return old, "patched"
end
]]

local function hotfix(ps)
	local before = ps.req.count()
	local old, word = snax.hotfix(ps, PATCH, 100)
	T.eq(old, before, "the patch reads the live local i")
	T.eq(word, "patched", "hotfix returns the patch's results")
	T.eq(ps.req.count(), 100, "the patch wrote the live local i")
	ps.post.hello()
	local i, hello = ps.req.count()
	T.eq(i, 110, "new accept.hello runs on the old state")
	T.eq(hello, "fixed", "and sets the old upvalue")
	T.eq(ps.req.ping("still"), "still", "unpatched methods keep working")
	T.raises("Patch mismatch response.newone", snax.hotfix, ps, "function response.newone() end")
	T.raises("patch", snax.hotfix, ps, "function accept.hello( end")
	T.eq(ps.req.count(), 110, "a failed patch changes nothing")
end

local function hotfix_under_load(ps)
	local calls, failures, running = 0, 0, 4
	for f = 1, 4 do
		skynet.fork(function()
			for n = 1, 50 do
				local ok, v = pcall(ps.req.ping, f * 1000 + n)
				if ok and v == f * 1000 + n then
					calls = calls + 1
				else
					failures = failures + 1
				end
				ps.post.hello()
			end
			running = running - 1
		end)
	end
	skynet.sleep(10)
	for n = 1, 5 do
		snax.hotfix(ps, string.format([[
local i
function accept.hello() i = i + %d end
function hotfix() return i end
]], n))
		skynet.sleep(5)
	end
	while running > 0 do
		skynet.sleep(5)
	end
	T.eq(failures, 0, "no call failed while patching")
	T.eq(calls, 200, "every call answered")
	snax.hotfix(ps, "local i\nfunction hotfix() i = 0 end")
	ps.post.hello()
	T.eq(ps.req.count(), 5, "the last patch is the one running")
end

local function profile_info(ps)
	ps.req.burn(0.05)
	local info = skynet.call(ps.handle, "debug", "INFO")
	T.ok(info.ping and info.ping.count >= 2, "INFO counts ping")
	T.ok(info.burn.time >= 0.03 and info.burn.time < 1, "INFO times burn: " .. info.burn.time)
	local p = snax.profile_info(ps)
	T.eq(p.burn.count, 1, "profile_info")
	-- ping sleeps: its time is CPU, not the sleep
	T.ok(info.ping.time / info.ping.count < 0.015, "a sleeping method is not charged its sleep")
end

local function wait_exit(handle)
	for _ = 1, 100 do
		if exited[handle] then
			return exited[handle]
		end
		skynet.sleep(2)
	end
	error("no exit from " .. skynet.address(handle))
end

local function kill_and_exit(ps)
	snax.kill(ps, "bye", 1)
	local args = wait_exit(ps.handle)
	T.eq(args[1], "bye", "exit got the arguments")
	T.eq(args[2], 1, "exit got the arguments, typed")
	T.raises(nil, ps.req.ping, "x")
	local other = snax.newservice("pingsvc", me)
	other.post.exit("from inside")
	T.eq(wait_exit(other.handle)[1], "from inside", "snax.exit inside the service")
	T.raises(nil, other.req.ping, "x")
end

T.run(function()
	skynet.dispatch("lua", function(_, _, cmd, handle, ...)
		if cmd == "exited" then
			exited[handle] = { ... }
		end
	end)
	local ps = basic()
	managed()
	hotfix(ps)
	hotfix_under_load(ps)
	profile_info(ps)
	snax.printf("snax.printf %s %d", "works", 42)
	kill_and_exit(ps)
end)
