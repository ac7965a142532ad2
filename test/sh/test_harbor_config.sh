#!/usr/bin/env bash
# skynet's canonical examples/config (harbor = 1, the master and its
# standalone address on the same node) boots: examples/config with its
# fixed ports swapped for free ones.  A second node joins it as harbor 2 and
# reaches the first node's datacenter.
source "$(dirname "$0")/core_lib.sh"

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}
MASTER=$(free_port)
ADDRESS=$(free_port)
CONSOLE=$(free_port)
sed -e "s/2013/$MASTER/g" -e "s/2526/$ADDRESS/g" -e 's/^thread = 8/thread = 2/' examples/config >"$SCRATCH/config"
grep -q "standalone = \"0.0.0.0:$MASTER\"" "$SCRATCH/config" || fail "examples/config changed shape"
echo "console_port = $CONSOLE" >>"$SCRATCH/config"
start_node "$SCRATCH/config" "$SCRATCH/node1.log"
NODE1=$NODE_PID
wait_for_text "$SCRATCH/node1.log" "debug console on" 10 || { cat "$SCRATCH/node1.log"; fail "examples/config did not boot"; }
for line in "master listen socket 0.0.0.0:$MASTER" "Shakehand ready" "Server start" "LAUNCH harbor 1"; do
	grep -qF "$line" "$SCRATCH/node1.log" || { cat "$SCRATCH/node1.log"; fail "no \"$line\""; }
done

# harbor 2 joins; its start service reads what node 1's main left in the datacenter
cat >"$SCRATCH/joiner.lua" <<'LUA'
local skynet = require "skynet"
local datacenter = require "skynet.datacenter"
skynet.start(function()
	local ok, v = pcall(datacenter.get, "example", "total")
	skynet.error(ok and "JOINED " .. tostring(v) or "JOIN FAILED " .. tostring(v))
	skynet.abort()
end)
LUA
node_config "$SCRATCH/node2.lua" joiner <<CONF
harbor = 2
master = "127.0.0.1:$MASTER"
address = "127.0.0.1:$(free_port)"
luaservice = "$ROOT/service/?.lua;$SCRATCH/?.lua"
CONF
timeout 30 ./skynet "$SCRATCH/node2.lua" >"$SCRATCH/node2.log" 2>&1
grep -q "JOINED 16" "$SCRATCH/node2.log" || { cat "$SCRATCH/node2.log"; fail "harbor 2 did not join"; }
wait_for_text "$SCRATCH/node1.log" "Harbor 2 (fd=" 5 || fail "the master did not see harbor 2"
kill "$NODE1"
wait_exit "$NODE1" 10 || fail "node 1 did not stop"
# nodes built with SANITIZE=1 report here (run.sh reads only this script's output)
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$SCRATCH"/*.log; then
	fail "sanitizer report in a node's log"
fi
echo "examples/config boots and takes a second harbor"
