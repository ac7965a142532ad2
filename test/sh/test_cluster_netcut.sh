#!/usr/bin/env bash
# skynet.cluster over a link that is cut without FIN or RST: two network
# namespaces joined by a veth pair, node A (test/lua/cluster_netcut_driver.lua)
# in one, node B (test/lua/cluster_node.lua) in the other.  While A's
# callers stream calls, the shell sets the link down (on B's side, then on
# A's side) and up again when A asks with "ACTION down-x" / "ACTION up-x".
# Skips (exit 0, with the reason) only where namespaces cannot be made.
source "$(dirname "$0")/core_lib.sh"

NS_A=sknca$$
NS_B=skncb$$
IF_A=vsknca$$
IF_B=vskncb$$
ADDR_A=10.251.0.1
ADDR_B=10.251.0.2
WAIT=1 # the cluster's __timeout, seconds

netns_cleanup() {
	cleanup
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
}
trap netns_cleanup EXIT

if ! ip netns add "$NS_A" 2>"$SCRATCH/netns.err"; then
	echo "SKIP: cannot create network namespaces here: $(cat "$SCRATCH/netns.err")"
	exit 0
fi
ip netns add "$NS_B" || fail "a second namespace"
ip link add "$IF_A" netns "$NS_A" type veth peer name "$IF_B" netns "$NS_B" || fail "veth pair"
ip -n "$NS_A" addr add "$ADDR_A/24" dev "$IF_A" || fail "address A"
ip -n "$NS_B" addr add "$ADDR_B/24" dev "$IF_B" || fail "address B"
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up || fail "lo up in $ns"; done
ip -n "$NS_A" link set "$IF_A" up || fail "link A up"
ip -n "$NS_B" link set "$IF_B" up || fail "link B up"

# the namespaces are new: nothing else listens in them, but ask anyway
free_port_in() { # namespace address
	ip netns exec "$1" python3 -c 'import socket,sys;s=socket.socket();s.bind((sys.argv[1],0));print(s.getsockname()[1])' "$2"
}
PA=$(free_port_in "$NS_A" "$ADDR_A") || fail "no port in A"
PB=$(free_port_in "$NS_B" "$ADDR_B") || fail "no port in B"

cat >"$SCRATCH/nodes.lua" <<NODES
__nowaiting = true
__timeout = $WAIT
na = "$ADDR_A:$PA"
nb = "$ADDR_B:$PB"
NODES
node_config "$SCRATCH/b.lua" cluster_node <<CONF
cluster = "$SCRATCH/nodes.lua"
cluster_self = "nb"
CONF
node_config "$SCRATCH/a.lua" cluster_netcut_driver <<CONF
cluster = "$SCRATCH/nodes.lua"
cluster_self = "na"
cluster_scratch = "$SCRATCH"
cluster_wait = $WAIT
CONF

show_logs() {
	echo "--- node B"
	tail -30 "$SCRATCH/b.log"
	echo "--- node A"
	grep -av 'cluster call to \[nb\] failed' "$SCRATCH/a.log" | tail -60
}

B_LOG=$SCRATCH/b.log
ip netns exec "$NS_B" ./skynet "$SCRATCH/b.lua" >"$B_LOG" 2>&1 &
B_PID=$!
NODE_PIDS+=("$B_PID")
wait_for_text "$B_LOG" "cluster node nb ready" 20 || { cat "$B_LOG"; fail "node B did not start"; }
A_LOG=$SCRATCH/a.log
ip netns exec "$NS_A" ./skynet "$SCRATCH/a.lua" >"$A_LOG" 2>&1 &
A_PID=$!
NODE_PIDS+=("$A_PID")

do_action() { # down-a, up-b, down-b2...: the link, on one side
	local state=${1%%-*} side=${1#*-}
	side=${side%%[0-9]*}
	case $side in
	a) ip -n "$NS_A" link set "$IF_A" "$state" ;;
	b) ip -n "$NS_B" link set "$IF_B" "$state" ;;
	esac || { show_logs; fail "action $1"; }
}

run_actions "$A_LOG" "$A_PID" 90 do_action || { show_logs; fail "node A did not finish: something hangs"; }

grep -a -E ' side (down|up)|calls in all' "$A_LOG"
grep -q 'TEST PASS' "$A_LOG" || { show_logs; fail "node A: $(grep -a 'TEST FAIL' "$A_LOG")"; }
kill -0 "$B_PID" 2>/dev/null || { show_logs; fail "node B died"; }
kill -TERM "$B_PID"
wait_exit "$B_PID" 20 || fail "node B did not stop"
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$SCRATCH"/*.log; then
	show_logs
	fail "sanitizer report"
fi
echo "PASS: $ACTIONS_DONE link changes"
