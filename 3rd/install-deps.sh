#!/bin/sh
# Installs the system packages the framework builds against, when missing.
# Debian 12: Lua 5.4.4 (liblua5.4-dev), jemalloc 5.3 (libjemalloc-dev),
# lua-cjson 2.1 (lua-cjson-dev).  The test suite also drives the node with
# telnet, nc, curl and python3 (test clients), and looks at its sockets with
# ss and ip (iproute2).
set -e
need=""
for pkg in liblua5.4-dev libjemalloc-dev lua-cjson-dev lua-cjson telnet netcat-openbsd curl python3 iproute2; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need="$need $pkg"
done
[ -z "$need" ] && exit 0
echo "installing:$need"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need
