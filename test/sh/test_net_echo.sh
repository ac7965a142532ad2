#!/usr/bin/env bash
# The example echo server (skynet.socket) from outside the node: 1,000
# concurrent connections each echoing distinct messages, and half-close: a
# client that sends 1 MB and shuts down its write side still gets every
# byte back before the server closes.
cd "$(dirname "$0")/../.." || exit 1
read -r GATE_PORT ECHO_PORT < <(python3 test/free_port.py 2 | paste -sd" ")
MAXCLIENT=64
source test/sh/net_lib.sh
net_setup
net_start

python3 - "$ECHO_PORT" <<'PY' || { tail -50 "$log"; exit 1; }
import selectors, socket, sys, time
port = int(sys.argv[1])
N, ROUNDS = 1000, 3

t0 = time.time()
conns = []
for i in range(N):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    conns.append(s)
for s in conns:
    s.setblocking(False)

sel = selectors.DefaultSelector()
for i, s in enumerate(conns):
    sel.register(s, selectors.EVENT_READ, i)

print(f"connected in {time.time() - t0:.2f} s")
for r in range(ROUNDS):
    want = [f"connection {i} round {r} ".encode() * (1 + i % 7) for i in range(N)]
    got = [b""] * N
    for i, s in enumerate(conns):
        s.sendall(want[i])
    pending = N
    deadline = time.time() + 10
    while pending and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            i = key.data
            data = key.fileobj.recv(65536)
            if not data:
                sys.exit(f"connection {i} closed early")
            got[i] += data
            if len(got[i]) == len(want[i]):
                pending -= 1
    if pending:
        sys.exit(f"round {r}: {pending} connections got no full echo")
    for i in range(N):
        if got[i] != want[i]:
            sys.exit(f"round {r}: connection {i} echoed wrong bytes")
for s in conns:
    s.close()
print(f"1000 connections echoed in {time.time() - t0:.2f} s")

# half-close: the server keeps writing after our FIN
payload = bytes(range(256)) * 4096
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(payload)
s.shutdown(socket.SHUT_WR)
back = b""
while True:
    data = s.recv(65536)
    if not data:
        break
    back += data
s.close()
if back != payload:
    sys.exit(f"half-close: got {len(back)} of {len(payload)} bytes back")
print("half-close echoed 1 MB")
PY
kill -0 "$node_pid" || { echo "node died"; exit 1; }

net_stop
