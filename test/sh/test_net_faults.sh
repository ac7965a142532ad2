#!/usr/bin/env bash
# Misbehaving clients against the network example (gate + echo server):
# peers that reset mid-transfer, peers that connect and never send, peers
# that send a 65535 length prefix and half the bytes, repeated for several
# rounds.  The node keeps serving a well-behaved client throughout, the
# watchdog hears close/error events, and afterwards the node holds no more
# file descriptors than before and its memory has not grown.
cd "$(dirname "$0")/../.." || exit 1
read -r GATE_PORT ECHO_PORT < <(python3 test/free_port.py 2 | paste -sd" ")
MAXCLIENT=1000
source test/sh/net_lib.sh
net_setup
net_start

# a sanitizer build keeps freed memory in quarantine: no RSS check there
# (it reports leaks at shutdown instead)
python3 - "$node_pid" "$GATE_PORT" "$ECHO_PORT" "${SANITIZE:-0}" <<'PY' || { tail -40 "$log"; exit 1; }
import os, struct, sys, time
pid, gate_port, echo_port = map(int, sys.argv[1:4])
sanitize = sys.argv[4] != "0"  # SANITIZE=1 (ASan) or thread
sys.path.insert(0, "test")
from net_client import ask, connect, recv_exact, reset
import net_client

def fds():
    return net_client.fds(pid)

def rss_kb():
    return net_client.rss_kb(pid)

def healthy(gate, echo, what):
    if ask(gate, "ping") != "pong":
        sys.exit(f"gate client broken after {what}")
    echo.sendall(b"still here")
    if recv_exact(echo, 10) != b"still here":
        sys.exit(f"echo client broken after {what}")

def settle(limit, what):
    # closes are asynchronous: wait for the fd count to come back down
    for _ in range(100):
        if fds() <= limit:
            return
        time.sleep(0.05)
    sys.exit(f"{what}: node holds {fds()} fds, expected at most {limit}")

def fault_round():
    # a peer that resets in the middle of a large echo transfer
    for _ in range(10):
        s = connect(echo_port)
        s.sendall(os.urandom(256 * 1024))
        s.recv(1000)
        reset(s)
    # a gate client that resets in the middle of a packet
    for _ in range(10):
        s = connect(gate_port)
        s.sendall(struct.pack(">H", 60000) + b"z" * 20000)
        reset(s)
    # peers that connect and never send, then go away
    idle = [connect(gate_port) for _ in range(20)] + [connect(echo_port) for _ in range(20)]
    time.sleep(0.3)
    healthy(gate, echo, "idle peers")
    for s in idle:
        s.close()
    # a length prefix of 65535 and half the bytes, then FIN
    for _ in range(10):
        s = connect(gate_port)
        s.sendall(struct.pack(">H", 65535) + b"h" * 32767)
        time.sleep(0.01)
        s.close()
    # the same, then RST
    for _ in range(10):
        s = connect(gate_port)
        s.sendall(struct.pack(">H", 65535) + b"h" * 32767)
        reset(s)

gate, echo = connect(gate_port), connect(echo_port)
healthy(gate, echo, "start")
time.sleep(0.3)
base_fds = fds()

fault_round()
healthy(gate, echo, "the first round")
settle(base_fds, "after the first round")
time.sleep(0.5)
rss_after_first = rss_kb()

for r in range(4):
    fault_round()
    healthy(gate, echo, f"round {r + 2}")
settle(base_fds, "after all rounds")
time.sleep(0.5)
growth = rss_kb() - rss_after_first
print(f"fds {base_fds} -> {fds()}, RSS growth after the first round {growth} KB")
if growth > 4096 and not sanitize:
    sys.exit(f"memory grew by {growth} KB over 4 rounds of faults")
gate.close()
echo.close()
PY
st=$?
[ $st = 0 ] || exit 1

# every gate client that went away was reported to the watchdog
sleep 0.3
events=$(grep -cE 'watchdog: client (closed|error)' "$log")
[ "$events" -ge 250 ] || { echo "watchdog saw $events close/error events, expected >= 250"; exit 1; }
kill -0 "$node_pid" || { echo "node died"; exit 1; }
grep -E 'PANIC|assert|Segmentation' "$log" && { echo "node reported a crash"; exit 1; }

net_stop
