#!/usr/bin/env bash
# A reconnect storm: 3,000 connections opened back to back against a
# socket.listen listener and then against a gate, both with the default
# backlog (the system's somaxconn).  All are accepted within a few seconds
# and the kernel's ListenOverflows counter does not move.  Runs in a network
# namespace of its own when it can (the counter is then ours alone).
if [ -z "${STORM_NETNS:-}" ] && unshare -n true 2>/dev/null; then
	STORM_NETNS=1 exec unshare -n bash -c 'ip link set lo up && exec bash "$0"' "$0"
fi
source "$(dirname "$0")/core_lib.sh"
[ -n "${STORM_NETNS:-}" ] || echo "note: no network namespace (unshare -n failed): ListenOverflows is shared with the machine"

COUNT=3000
ulimit -n $((COUNT * 2 + 1000)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((COUNT * 2 + 200)) ] || fail "ulimit -n $(ulimit -n) is too low for $COUNT connections"
read -r LISTEN_PORT GATE_PORT < <(python3 test/free_port.py 2 | paste -sd" ")
node_config "$SCRATCH/config.lua" storm_main <<CONFIG
storm_count = $COUNT
storm_listen_port = $LISTEN_PORT
storm_gate_port = $GATE_PORT
CONFIG
start_node "$SCRATCH/config.lua" "$SCRATCH/node.log"
wait_for_text "$SCRATCH/node.log" "STORM READY" 10 || { cat "$SCRATCH/node.log"; fail "node did not start"; }

python3 - "$SCRATCH/node.log" "$COUNT" "$LISTEN_PORT" "$GATE_PORT" <<'PY' || { tail -20 "$SCRATCH/node.log"; fail "connection storm"; }
import socket, sys, time
log, count, listen_port, gate_port = sys.argv[1], *map(int, sys.argv[2:])

def listen_overflows():
    with open("/proc/net/netstat") as f:
        rows = [line.split() for line in f if line.startswith("TcpExt:")]
    return int(rows[1][rows[0].index("ListenOverflows")])

def storm(kind, port):
    before = listen_overflows()
    t0 = time.time()
    conns = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(count)]
    connected = time.time() - t0
    want = f"STORM {kind} {count}"
    while want not in open(log).read():
        if time.time() - t0 > 10:
            sys.exit(f"{kind}: {count} connections not all accepted within 10 s")
        time.sleep(0.05)
    elapsed = time.time() - t0
    overflows = listen_overflows() - before
    print(f"{kind}: {count} connections opened in {connected:.2f} s, all accepted in {elapsed:.2f} s, ListenOverflows +{overflows}")
    if elapsed > 5:
        sys.exit(f"{kind}: {elapsed:.1f} s is not a few seconds")
    if overflows:
        sys.exit(f"{kind}: the accept queue overflowed {overflows} times")
    for c in conns:
        c.close()

storm("listen", listen_port)
storm("gate", gate_port)
PY
kill -0 "$NODE_PID" || fail "node died"
echo PASS
