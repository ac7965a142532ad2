#!/usr/bin/env bash
# Running out of file descriptors: the node runs with `ulimit -n 64` and a
# client opens more connections to the echo server than it has fds for.
# Accept errors reach the log, connections already accepted keep working,
# and once the client lets go, the listener accepts and serves again.
cd "$(dirname "$0")/../.." || exit 1
read -r GATE_PORT ECHO_PORT < <(python3 test/free_port.py 2 | paste -sd" ")
MAXCLIENT=64
source test/sh/net_lib.sh
net_setup
NODE_ULIMIT=64 net_start

python3 - "$ECHO_PORT" <<'PY' || { tail -40 "$log"; exit 1; }
import socket, sys, time
port = int(sys.argv[1])

def echo_ok(s, text):
    try:
        s.settimeout(2)
        s.sendall(text)
        got = b""
        while len(got) < len(text):
            chunk = s.recv(100)
            if not chunk:
                return False
            got += chunk
        return got == text
    except OSError:
        return False

first = socket.create_connection(("127.0.0.1", port), timeout=5)
if not echo_ok(first, b"first"):
    sys.exit("the first connection does not echo")
flood = []
for _ in range(100):
    flood.append(socket.create_connection(("127.0.0.1", port), timeout=5))
time.sleep(1)
if not echo_ok(first, b"still"):
    sys.exit("an accepted connection stopped working when fds ran out")
for s in flood:
    s.close()
first.close()

# fds are free again: new connections get served
deadline = time.time() + 10
served = 0
while served < 5 and time.time() < deadline:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    if echo_ok(s, b"again %d" % served):
        served += 1
    s.close()
if served < 5:
    sys.exit("the listener does not serve after fds were freed")
print("listener recovered")
PY
st=$?
[ $st = 0 ] || exit 1
grep -qi 'accept error' "$log" || { echo "no accept error in the log"; tail -20 "$log"; exit 1; }
kill -0 "$node_pid" || { echo "node died"; exit 1; }

net_stop
