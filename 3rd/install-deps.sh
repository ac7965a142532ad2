#!/bin/sh
# Installs the system packages the framework builds against, when missing.
# Debian 12: Lua 5.4.4 (liblua5.4-dev), jemalloc 5.3 (libjemalloc-dev),
# lua-cjson 2.1 (lua-cjson-dev), OpenSSL 3.0 (libssl-dev: crypt and md5's
# digests), lpeg 1.0 (lua-lpeg, for sprotoparser).  The test suite also
# drives the node with telnet, nc, curl, python3 and a plain lua5.4
# interpreter (test clients), and tests the database drivers against real
# servers it starts itself: redis-server (with redis-cli from redis-tools)
# and mariadb-server.  The http tests use openssl (certificates, s_client),
# python3-websockets (a WebSocket peer) and dnsmasq (a DNS server, from
# dnsmasq-base: the binary without the system service the dnsmasq package
# enables); `make bench` drives the HTTP server with wrk.
set -e
need=""
for pkg in liblua5.4-dev libjemalloc-dev lua-cjson-dev lua-cjson libssl-dev lua-lpeg lua5.4 telnet netcat-openbsd curl python3 redis-server redis-tools mariadb-server openssl python3-websockets dnsmasq-base wrk; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need="$need $pkg"
done
[ -z "$need" ] && exit 0
echo "installing:$need"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need
