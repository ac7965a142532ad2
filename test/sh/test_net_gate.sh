#!/usr/bin/env bash
# The gate with netpack framing, driven from outside the node: the network
# example (examples/config_net.lua: watchdog + gate + agents + simpledb) and
# Python clients speaking 2-byte length-prefixed packets.  Packets split
# across writes and several packets in one write; more clients than
# maxclient (the extra ones are closed, the others keep working); the
# example's command-line client.
cd "$(dirname "$0")/../.." || exit 1
read -r GATE_PORT ECHO_PORT < <(python3 test/free_port.py 2 | paste -sd" ")
MAXCLIENT=8
source test/sh/net_lib.sh
net_setup
net_start

python3 - "$GATE_PORT" "$MAXCLIENT" <<'PY' || { cat "$log"; exit 1; }
import sys, time
port, maxclient = int(sys.argv[1]), int(sys.argv[2])
sys.path.insert(0, "test")
from net_client import ask, pack, reply
import net_client

def connect():
    return net_client.connect(port)

def check(got, want, what):
    if got != want:
        sys.exit(f"{what}: want {want!r}, got {got!r}")

a, b = connect(), connect()
check(ask(a, "ping"), "pong", "ping")
check(ask(a, "set fruit apple"), "", "set returns the old value")
check(ask(b, "get fruit"), "apple", "another client sees the value")
check(ask(b, "set fruit pear"), "apple", "set returns the old value")

# several packets in one write: replies in order
a.sendall(pack("get fruit") + pack("ping") + pack("set x 1") + pack("get x"))
check([reply(a) for _ in range(4)], ["pear", "pong", "", "1"], "pipelined packets")

# one packet in pieces, the length prefix itself split
p = pack("set long " + "y" * 3000)
for i in range(0, len(p), 7):
    a.sendall(p[i:i + 7])
    if i < 30:
        time.sleep(0.01)
check(reply(a), "", "packet sent in pieces")
check(ask(b, "get long"), "y" * 3000, "value from the split packet")
check(ask(a, "nonsense"), "error: unknown command", "unknown command")

# maxclient: fill up to the limit, the extra ones get closed
clients = [a, b] + [connect() for _ in range(maxclient - 2)]
for c in clients:
    check(ask(c, "ping"), "pong", "client within maxclient")
extras = [connect() for _ in range(3)]
for e in extras:
    try:
        e.sendall(pack("ping"))
        got = e.recv(16)
    except (ConnectionResetError, BrokenPipeError):
        got = b""
    check(got, b"", "a client past maxclient is closed")
for c in clients:
    check(ask(c, "ping"), "pong", "clients within maxclient keep working")

# quit: the reply arrives, then the gate closes the connection
check(ask(a, "quit"), "bye", "quit reply")
check(a.recv(16), b"", "closed after quit")
# the slot it freed takes a new client
c = connect()
check(ask(c, "get fruit"), "pear", "a new client after one left")
for s in clients[1:] + [c]:
    s.close()
print("gate checks passed")
PY

# the example's command-line client
client=${OBJDIR:-build/release}/examples/client
if [ ! -x "$client" ]; then
	client=$tmp/client
	cc -std=c11 -D_GNU_SOURCE -O2 -o "$client" examples/client.c || exit 1
fi
out=$(printf 'set greeting hello\nget greeting\nping\n' | "$client" -p "$GATE_PORT")
want=$(printf '\nhello\npong')
[ "$out" = "$want" ] || { echo "client output: $out"; exit 1; }
out=$(printf 'echo me\n' | "$client" -r -p "$ECHO_PORT")
[ "$out" = "echo me" ] || { echo "raw client output: $out"; exit 1; }

sleep 0.3
grep -q 'too many clients' "$log" || { echo "no maxclient message in the log"; exit 1; }
kill -0 "$node_pid" || { echo "node died"; exit 1; }

net_stop
