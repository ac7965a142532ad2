#!/usr/bin/env bash
# Harbor mode with real nodes on free loopback ports: a network of two
# (harbor 1 runs the master, as in skynet's examples/config) and one of
# three.  The last node drives test/lua/harbor_node.lua's checks: calls by
# global name and by handle between every pair, large values, calls in
# flight, names registered late, datacenter across nodes; then a node is
# killed with SIGKILL (the master itself in the two-node network) and calls
# to it must fail at once, not hang, while the others go on.
source "$(dirname "$0")/core_lib.sh"
LOGS=test/out/harbor # the nodes' logs are kept here
mkdir -p "$LOGS"
trap 'cp "$SCRATCH"/*.log "$LOGS"/ 2>/dev/null; cleanup' EXIT

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# network N VICTIM: N nodes, the last one drives, VICTIM is killed
network() {
	local n=$1 victim=$2 master
	master=$(free_port)
	local pids=()
	for i in $(seq 1 "$n"); do
		local conf=$SCRATCH/h$n.$i.lua log=$SCRATCH/h$n.$i.log
		node_config "$conf" harbor_node <<CONF
harbor = $i
master = "127.0.0.1:$master"
address = "127.0.0.1:$(free_port)"
harbor_count = $n
harbor_victim = $victim
CONF
		[ "$i" = 1 ] && echo "standalone = \"127.0.0.1:$master\"" >>"$conf"
		[ "$i" = "$n" ] && echo 'harbor_driver = true' >>"$conf"
		start_node "$conf" "$log"
		pids[i]=$NODE_PID
		wait_for_text "$log" "HARBOR NODE READY $i" 10 || { cat "$log"; fail "node $i of $n did not start"; }
	done
	local driver=$SCRATCH/h$n.$n.log
	wait_for_text "$driver" "ACTION kill" 60 || { cat "$driver"; fail "$n nodes: the driver did not get to the kill"; }
	kill -9 "${pids[victim]}"
	wait_for_text "$driver" "TEST " 30 || { cat "$driver"; fail "$n nodes: no result"; }
	grep -q "TEST PASS" "$driver" || { cat "$driver"; fail "$n nodes"; }
	wait_exit "${pids[n]}" 10 || fail "$n nodes: the driver did not exit"
	for i in $(seq 1 "$n"); do
		[ "$i" != "$victim" ] && [ "$i" != "$n" ] && kill "${pids[i]}" 2>/dev/null
	done
	echo "ok $n nodes"
}

network 2 1
grep -q "Master disconnect" "$SCRATCH/h2.2.log" || fail "the slave did not log the master's loss"
network 3 2
grep -q "Harbor 2 is down" "$SCRATCH/h3.1.log" || fail "node 1 did not see node 2 go"
# nodes built with SANITIZE=1 report here (run.sh reads only this script's output)
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$SCRATCH"/*.log; then
	fail "sanitizer report in a node's log"
fi
echo "harbor tests passed"
