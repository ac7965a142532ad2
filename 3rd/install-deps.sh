#!/bin/sh
# Installs the Debian 12 packages the framework builds against and the
# suite tests with, when missing (`make deps`; `make run` and `make test`
# depend on it).  One package per line, with what it is for; 3rd/README.md
# has the versions.
set -e
PACKAGES="
liblua5.4-dev    the Lua VM, linked into ./skynet
libjemalloc-dev  the process allocator
lua-cjson-dev    require 'cjson' in services
lua-cjson
libssl-dev       crypt, md5 and TLS digests and ciphers
lua-lpeg         sprotoparser
lua5.4           the plain interpreter client scripts run in
telnet           test client: the debug console
netcat-openbsd   test client
curl             test client: HTTP
python3          test clients
iproute2         ss and ip: the cluster and socket tests look at sockets, namespaces
redis-server     the redis driver's tests (redis-cli comes from redis-tools)
redis-tools
mariadb-server   the MySQL driver's tests
openssl          the http tests: certificates, s_client
python3-websockets  the http tests: a WebSocket peer (run with /usr/bin/python3)
dnsmasq-base     the DNS tests: a real server (without the system service of dnsmasq)
wrk              make bench: drives the HTTP server
python3-bson     the bson tests: pymongo's codec as a peer (run with /usr/bin/python3)
python3-pymongo  the mongo tests: the stand-in's pymongo errors; creates the user of a real mongod
python3-mongomock  the mongo tests: storage and queries of the stand-in server (no mongod in Debian)
"
need=""
for pkg in $(printf '%s\n' "$PACKAGES" | awk 'NF { print $1 }'); do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need="$need $pkg"
done
[ -z "$need" ] && exit 0
echo "installing:$need"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need
