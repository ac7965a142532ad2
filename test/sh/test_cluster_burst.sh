#!/usr/bin/env bash
# cluster.send flow control: node A (test/lua/cluster_burst_driver.lua)
# sends 300,000 one-way messages in a tight loop to node B
# (cluster_burst_node.lua), which checks each arrives, in order.  The
# sender's queue must stay under 4096 messages and A's RSS must grow less
# than 16 MB (the RSS bound is not checked in sanitizer builds, whose
# allocator keeps freed memory; the queue bound is).  Then 30,000 messages
# of 1000 bytes to a service on B slower than the sender: B stops reading,
# so its RSS must grow less than 16 MB (about 33 MB if it all piled up),
# and all arrive in order.  Then two threads at
# once to a node whose sender is still being looked up, and a burst to a
# peer that accepts but never reads, which must end (its connection is
# given up) within 60 s.
source "$(dirname "$0")/core_lib.sh"

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}
PB=$(free_port)

# a listener that accepts every connection and never reads from it
python3 - "$SCRATCH/deaf.port" <<'PY' &
import socket, sys, time
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
open(sys.argv[1], "w").write(str(ls.getsockname()[1]))
held = []
deadline = time.time() + 300
while time.time() < deadline:
	held.append(ls.accept()[0])
PY
NODE_PIDS+=($!)
disown
for _ in $(seq 50); do [ -s "$SCRATCH/deaf.port" ] && break; sleep 0.1; done
PDEAF=$(cat "$SCRATCH/deaf.port") || fail "no deaf listener"

cat >"$SCRATCH/nodes.lua" <<NODES
__nowaiting = true
__timeout = 30
nb = "127.0.0.1:$PB"
nb2 = "127.0.0.1:$PB"
deaf = "127.0.0.1:$PDEAF"
NODES

sanitized=
grep -qaE "__asan_init|__tsan_init" ./skynet && sanitized='sanitized = "yes"'
node_config "$SCRATCH/b.lua" cluster_burst_node <<CONF
cluster = "$SCRATCH/nodes.lua"
cluster_self = "nb"
CONF
node_config "$SCRATCH/a.lua" cluster_burst_driver <<CONF
cluster = "$SCRATCH/nodes.lua"
$sanitized
CONF

B_LOG=$SCRATCH/b.log
start_node "$SCRATCH/b.lua" "$B_LOG"
B_PID=$NODE_PID
wait_for_text "$B_LOG" "cluster node nb ready" 20 || { cat "$B_LOG"; fail "node B did not start"; }

A_LOG=$SCRATCH/a.log
start_node "$SCRATCH/a.lua" "$A_LOG"
A_PID=$NODE_PID
wait_exit "$A_PID" 150 || { tail -40 "$A_LOG"; fail "node A did not finish"; }
grep -a '^ok: \|^FAILED: \|^main: \|RSS grew' "$A_LOG"

show_logs() {
	echo "--- node B"; tail -30 "$B_LOG"
	echo "--- node A"; grep -av 'cluster push to \[deaf\] failed' "$A_LOG" | tail -40
}
grep -q 'TEST PASS' "$A_LOG" || { show_logs; fail "node A: see above"; }
grep -q 'cluster node \[deaf\] reads nothing' "$A_LOG" || { show_logs; fail "the deaf peer's connection was never given up"; }
kill -TERM "$B_PID"
wait_exit "$B_PID" 20 || fail "node B did not stop"
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$SCRATCH"/*.log; then
	show_logs
	fail "sanitizer report"
fi
echo "PASS"
