#!/usr/bin/env bash
# cluster.reload moving one node while 16 callers stream calls and sends
# to another: node A (test/lua/cluster_reload_driver.lua) calls node B
# (unchanged) and moves node "nc" between itself and node C, by table and
# by rewriting the cluster file.
source "$(dirname "$0")/core_lib.sh"

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}
PA=$(free_port)
PB=$(free_port)
PC=$(free_port)

# B and C read this table; A's own file is rewritten by A
cat >"$SCRATCH/nodes.lua" <<NODES
__nowaiting = true
__timeout = 1
na = "127.0.0.1:$PA"
nb = "127.0.0.1:$PB"
nc2 = "127.0.0.1:$PC"
NODES
cp "$SCRATCH/nodes.lua" "$SCRATCH/a_nodes.lua"
echo "nc = \"127.0.0.1:$PA\"" >>"$SCRATCH/a_nodes.lua"

node_config "$SCRATCH/b.lua" cluster_node <<CONF
cluster = "$SCRATCH/nodes.lua"
cluster_self = "nb"
CONF
node_config "$SCRATCH/c.lua" cluster_node <<CONF
cluster = "$SCRATCH/nodes.lua"
cluster_self = "nc2"
CONF
node_config "$SCRATCH/a.lua" cluster_reload_driver <<CONF
cluster = "$SCRATCH/a_nodes.lua"
cluster_self = "na"
na_address = "127.0.0.1:$PA"
nb_address = "127.0.0.1:$PB"
nc2_address = "127.0.0.1:$PC"
CONF

start_node "$SCRATCH/b.lua" "$SCRATCH/b.log"
B_PID=$NODE_PID
start_node "$SCRATCH/c.lua" "$SCRATCH/c.log"
C_PID=$NODE_PID
wait_for_text "$SCRATCH/b.log" "cluster node nb ready" 20 || { cat "$SCRATCH/b.log"; fail "node B did not start"; }
wait_for_text "$SCRATCH/c.log" "cluster node nc2 ready" 20 || { cat "$SCRATCH/c.log"; fail "node C did not start"; }
start_node "$SCRATCH/a.lua" "$SCRATCH/a.log"
A_PID=$NODE_PID

show_logs() {
	for n in b c; do echo "--- node $n"; tail -20 "$SCRATCH/$n.log"; done
	echo "--- node A"
	tail -60 "$SCRATCH/a.log"
}
wait_exit "$A_PID" 90 || { show_logs; fail "node A did not finish: something hangs"; }
grep -a '^nb: ' "$SCRATCH/a.log"
grep -q 'TEST PASS' "$SCRATCH/a.log" || { show_logs; fail "node A: $(grep -a 'TEST FAIL' "$SCRATCH/a.log")"; }
for pid in "$B_PID" "$C_PID"; do
	kill -TERM "$pid"
	wait_exit "$pid" 20 || fail "node $pid did not stop"
done
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$SCRATCH"/*.log; then
	show_logs
	fail "sanitizer report"
fi
echo PASS
