#!/usr/bin/env bash
# skynet.multicast across a harbor network of two real nodes on free
# loopback ports (node 1 runs the master): test/lua/mc_harbor_node.lua on
# node 2 drives channels made on either node, subscribers and publishers on
# both, unsubscribe and delete from the node that is not the channel's home.
source "$(dirname "$0")/core_lib.sh"
LOGS=test/out/multicast_harbor # the nodes' logs are kept here
mkdir -p "$LOGS"
trap 'cp "$SCRATCH"/*.log "$LOGS"/ 2>/dev/null; cleanup' EXIT

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

master=$(free_port)
for i in 1 2; do
	node_config "$SCRATCH/n$i.lua" mc_harbor_node <<CONF
harbor = $i
master = "127.0.0.1:$master"
address = "127.0.0.1:$(free_port)"
CONF
	[ "$i" = 1 ] && echo "standalone = \"127.0.0.1:$master\"" >>"$SCRATCH/n1.lua"
	[ "$i" = 2 ] && echo 'mc_driver = true' >>"$SCRATCH/n2.lua"
	start_node "$SCRATCH/n$i.lua" "$SCRATCH/n$i.log"
	[ "$i" = 2 ] && driver=$NODE_PID
	wait_for_text "$SCRATCH/n$i.log" "MC NODE READY $i" 10 || { cat "$SCRATCH/n$i.log"; fail "node $i did not start"; }
done
wait_for_text "$SCRATCH/n2.log" "TEST " 120 || { cat "$SCRATCH"/n*.log; fail "no result"; }
grep -q "TEST PASS" "$SCRATCH/n2.log" || { cat "$SCRATCH"/n*.log; fail "multicast across harbors"; }
wait_exit "$driver" 10 || fail "the driver did not exit"
# nodes built with SANITIZE=1 report here (run.sh reads only this script's output)
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$SCRATCH"/*.log; then
	fail "sanitizer report in a node's log"
fi
echo "multicast harbor tests passed"
