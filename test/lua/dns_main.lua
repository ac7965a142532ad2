-- skynet.dns against a real dnsmasq started by test/sh/test_dns.sh (port
-- and records in the config): A and AAAA, the hosts file, TTL caching
-- (counted in dnsmasq's query log), a truncated answer retried over TCP,
-- NXDOMAIN, bad names, a server that never answers, httpc.dns.
local skynet = require "skynet"
local socket = require "skynet.socket"
local dns = require "skynet.dns"
local httpc = require "http.httpc"
local httpd = require "http.httpd"
local sockethelper = require "http.sockethelper"
local T = require "testlib"

local PORT = tonumber(skynet.getenv "dns_port")
local QUERY_LOG = skynet.getenv "dns_log"

-- how many queries for name dnsmasq has logged
local function queries(qtype, name)
	skynet.sleep(20) -- dnsmasq writes its log a moment later
	local f = assert(io.open(QUERY_LOG))
	local n = 0
	for line in f:lines() do
		if line:find("query[" .. qtype .. "] " .. name .. " ", 1, true) then
			n = n + 1
		end
	end
	f:close()
	return n
end

local function records()
	local ip, all = dns.resolve("host.test")
	T.eq(ip, "10.0.0.1", "A record")
	T.eq(#all, 1, "one A record")
	ip = dns.resolve("HOST.test", true)
	T.eq(ip, "fd00:0:0:0:0:0:0:1", "AAAA record (upper case name)")
	T.eq(dns.resolve("x.wild.test"), "10.1.2.3", "--address domain")
	local _, list = dns.resolve("multi.test")
	table.sort(list)
	T.eq(table.concat(list, " "), "10.0.2.1 10.0.2.2", "two A records")
	T.eq(dns.resolve("1.2.3.4"), "1.2.3.4", "an IPv4 literal")
	local none, why = dns.resolve("1.2.3.4", true)
	T.eq(none, nil, "IPv4 literal asked as IPv6")
	T.eq(why, "illegal ip address", "its reason")
	none, why = dns.resolve("bad..name")
	T.eq(why, "illegal name", "empty label")
	none, why = dns.resolve(string.rep("a", 64) .. ".test")
	T.eq(why, "illegal name", "64-byte label")
	T.raises("no such name", dns.resolve, "missing.test")
	T.raises("dns.resolve: name must be a string", dns.resolve, 42)
end

local function hosts_file()
	T.eq(dns.resolve("fromhosts.example"), "10.9.9.9", "name from the hosts file")
	T.eq(dns.resolve("alias.example", true), "fd00::99", "an alias, IPv6, from the hosts file")
	T.eq(queries("A", "fromhosts.example"), 0, "the hosts file is asked first")
end

local function caching()
	dns.flush()
	dns.resolve("ttl.test")
	dns.resolve("ttl.test")
	T.eq(queries("A", "ttl.test"), 1, "second lookup served from the cache")
	skynet.sleep(150) -- the record's TTL is 1 s
	dns.resolve("ttl.test")
	T.eq(queries("A", "ttl.test"), 2, "asked again once the TTL ran out")
end

local function truncated()
	local ip, all = dns.resolve("big.test")
	T.eq(#all, 60, "all 60 records of a truncated answer, fetched over TCP")
	T.ok(ip:match("^10%.0%.1%.%d+$"), "a big.test address")
	T.eq(queries("A", "big.test"), 2, "asked over UDP, then again over TCP")
end

local function concurrent()
	dns.flush()
	T.parallel(20, 500, "20 lookups in flight at once", function(i)
		local ip = dns.resolve(i % 2 == 0 and "host.test" or "x.wild.test")
		assert(ip == (i % 2 == 0 and "10.0.0.1" or "10.1.2.3"))
	end)
end

local function silent_server()
	local port = tonumber(skynet.getenv "silent_port")
	local fd = socket.udp_listen("127.0.0.1", port, function() end) -- reads, never answers
	dns.server("127.0.0.1", port)
	dns.timeout = 150
	local t0 = skynet.now()
	T.raises("timeout", dns.resolve, "never.test")
	local waited = skynet.now() - t0
	T.ok(waited >= 140 and waited < 300, "gave up after the 1.5 s timeout, waited " .. waited)
	socket.close(fd)
	dns.timeout = 3000
end

local function with_httpc()
	local listen, _, port = socket.listen("127.0.0.1", 0)
	socket.start(listen, function(id)
		socket.start(id)
		local code = httpd.read_request(sockethelper.readfunc(id))
		httpd.write_response(sockethelper.writefunc(id), code, "resolved")
		socket.close(id)
	end)
	httpc.dns("127.0.0.1", PORT)
	local code, body = httpc.get("web.test:" .. port, "/")
	T.eq(code, 200, "httpc to a name from the dns server")
	T.eq(body, "resolved", "its body")
	T.raises("no such name", httpc.get, "nowhere.test:" .. port, "/")
	socket.close(listen)
end

T.run(function()
	dns.DEFAULT_HOSTS = skynet.getenv "hosts_file"
	dns.server("127.0.0.1", PORT)
	records()
	hosts_file()
	caching()
	truncated()
	concurrent()
	with_httpc()
	silent_server()
end)
