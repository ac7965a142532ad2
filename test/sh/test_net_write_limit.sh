#!/usr/bin/env bash
# A client that never reads: it sends up to 512 MB to the example echo
# server and reads nothing back, so the server's replies queue up.  The
# queue passes 1 MB (the owner is warned: "WARNING: ... K bytes need to send
# out"), then socket_write_limit (default 64 MB): the node closes the
# socket and logs a line naming it and the queued size, the node's RSS
# stays far below what was sent, and a new client is echoed as before.
# NET_CONFIG may set socket_write_limit; WRITE_LIMIT_MB tells the test.
cd "$(dirname "$0")/../.." || exit 1
read -r GATE_PORT ECHO_PORT < <(python3 test/free_port.py 2 | paste -sd" ")
MAXCLIENT=64
source test/sh/net_lib.sh
net_setup
net_start

python3 - "$node_pid" "$ECHO_PORT" "${SANITIZE:-0}" "${WRITE_LIMIT_MB:-64}" <<'PY' || { tail -20 "$log"; exit 1; }
import socket, sys, threading, time
pid, port, limit_mb = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[4])
sanitize = sys.argv[3] != "0"  # SANITIZE=1 (ASan) or thread

def rss_mb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

baseline = rss_mb()
peak = baseline
done = False
def watch():
    global peak
    while not done:
        peak = max(peak, rss_mb())
        time.sleep(0.02)
watcher = threading.Thread(target=watch)
watcher.start()

s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
chunk = b"x" * (1 << 20)
sent = 0
closed = None
t0 = time.time()
try:
    while sent < 512 << 20:
        s.sendall(chunk)
        sent += len(chunk)
except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
    closed = e
elapsed = time.time() - t0
time.sleep(0.3)
done = True
watcher.join()
print(f"sent {sent >> 20} MB in {elapsed:.1f} s, RSS {baseline:.0f} MB -> peak {peak:.0f} MB, end: {closed!r}")
if closed is None:
    sys.exit(f"the node took all {sent >> 20} MB without closing the socket")
if isinstance(closed, socket.timeout):
    sys.exit("the node stopped reading instead of closing the socket")
if sent > (limit_mb * 3 + 64) << 20:
    sys.exit(f"the socket was closed only after {sent >> 20} MB")
# a sanitizer build keeps freed memory in quarantine: no RSS bound there
if not sanitize and peak - baseline > limit_mb * 3 + 64:
    sys.exit(f"RSS grew by {peak - baseline:.0f} MB for a {limit_mb} MB limit")
s.close()

c = socket.create_connection(("127.0.0.1", port), timeout=5)
c.sendall(b"still serving")
got = b""
while len(got) < 13:
    got += c.recv(64)
if got != b"still serving":
    sys.exit(f"a new client got {got!r}")
c.close()
PY
grep -E "socket: close socket [0-9]+ of :[0-9a-f]{8}: [0-9]+ bytes waiting to be sent, over socket_write_limit" "$log" ||
	{ tail -20 "$log"; echo "no log line for the closed socket"; exit 1; }
grep -m1 "WARNING: [0-9]* K bytes need to send out" "$log" || { echo "no warning at 1 MB queued"; exit 1; }
kill -0 "$node_pid" || { echo "node died"; exit 1; }
net_stop
