#!/usr/bin/env bash
# A soak of network faults against the network example (gate + echo server),
# all at once for SOAK_SECONDS (default 25): peers that reset mid-transfer,
# readers that stall until socket_write_limit (4 MB here) closes them,
# half-closes that must still get every byte back, garbage and cut packets
# to the gate, idle crowds, while a well-behaved gate client keeps getting
# answers.  Afterwards the node holds no socket but its two listeners, no
# more fds than before, and (outside sanitizer builds) its RSS comes back
# near what it was after a warm-up with the same faults.
cd "$(dirname "$0")/../.." || exit 1
read -r GATE_PORT ECHO_PORT < <(python3 test/free_port.py 2 | paste -sd" ")
MAXCLIENT=2000
NET_CONFIG="socket_write_limit = $((4 << 20))"
source test/sh/net_lib.sh
net_setup
net_start

python3 - "$node_pid" "$GATE_PORT" "$ECHO_PORT" "${SANITIZE:-0}" "${SOAK_SECONDS:-25}" <<'PY' || { tail -30 "$log"; exit 1; }
import random, socket, struct, subprocess, sys, threading, time
pid, gate_port, echo_port, soak_seconds = map(int, sys.argv[1:4] + sys.argv[5:6])
sanitize = sys.argv[4] != "0"  # SANITIZE=1 (ASan) or thread
sys.path.insert(0, "test")
from net_client import connect, pack, recv_exact, reset
import net_client

def rss_mb():
    return net_client.rss_kb(pid) / 1024

def fds():
    return net_client.fds(pid)

def node_sockets():
    out = subprocess.run(["ss", "-tanpH"], capture_output=True, text=True, check=True).stdout
    return [l for l in out.splitlines() if f"pid={pid}," in l]

stop = threading.Event()
counts = {}
failures = []

def count(name):
    counts[name] = counts.get(name, 0) + 1

def resetter(rng):
    s = connect(echo_port)
    s.sendall(rng.randbytes(rng.randint(1, 256 * 1024)))
    s.recv(1000)
    reset(s)
    count("reset")

def tcp_state(s):
    port = s.getsockname()[1]
    return subprocess.run(["ss", "-tanmi", f"sport = :{port} or dport = :{port}"], capture_output=True, text=True).stdout

def staller(rng):
    # sends without ever reading; the node queues the echo until the write
    # limit closes the socket (the node may read everything first and echo
    # it later: then the close comes a little after the last send)
    s = connect(echo_port)
    chunk = b"s" * (256 * 1024)
    try:
        for _ in range(128):         # 32 MB: the limit plus kernel buffers
            s.sendall(chunk)
        deadline = time.time() + 10
        while time.time() < deadline:
            s.send(b"s")
            time.sleep(0.05)
        failures.append(f"a stalled reader was never closed by the write limit:\n{tcp_state(s)}")
    except (BrokenPipeError, ConnectionResetError):
        count("stall closed by the limit")
    except socket.timeout:
        failures.append(f"a stalled reader's writes blocked instead of a close:\n{tcp_state(s)}")
    s.close()

def half_closer(rng):
    s = connect(echo_port)
    data = rng.randbytes(rng.randint(1, 128 * 1024))
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    back = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        back += chunk
    s.close()
    if back != data:
        failures.append(f"half-close: {len(back)} of {len(data)} bytes came back")
    count("half-close")

def garbage(rng):
    s = connect(gate_port)
    kind = rng.randrange(4)
    if kind == 0:    # random bytes
        s.sendall(rng.randbytes(rng.randint(1, 4000)))
    elif kind == 1:  # a long packet cut short
        s.sendall(struct.pack(">H", rng.randint(1000, 65535)) + b"c" * rng.randint(0, 999))
    elif kind == 2:  # many tiny packets of junk commands
        s.sendall(b"".join(pack(rng.randbytes(rng.randint(0, 20))) for _ in range(50)))
    else:            # a lone length byte
        s.sendall(b"\x01")
    if rng.random() < 0.5:
        reset(s)
    else:
        s.shutdown(socket.SHUT_WR)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass
        s.close()
    count("garbage")

def idle_crowd(rng):
    crowd = [connect(gate_port if i % 2 else echo_port) for i in range(40)]
    time.sleep(0.5)
    for s in crowd:
        (reset if rng.random() < 0.5 else socket.socket.close)(s)
    count("idle crowd")

def good_client(rng):
    s = connect(gate_port)
    for i in range(20):
        s.sendall(pack(b"set k%d v%d" % (i, i)))
        n = struct.unpack(">H", recv_exact(s, 2))[0]
        recv_exact(s, n)
        s.sendall(pack(b"ping"))
        n = struct.unpack(">H", recv_exact(s, 2))[0]
        if recv_exact(s, n) != b"pong":
            failures.append("the gate answered ping wrongly")
    s.close()
    count("good client")

def run(fault, seed, seconds):
    rng = random.Random(seed)
    deadline = time.time() + seconds
    while time.time() < deadline and not failures:
        try:
            fault(rng)
        except (OSError, EOFError) as e:
            if fault in (good_client, half_closer):
                failures.append(f"{fault.__name__}: {e!r}")
            else:
                count(f"{fault.__name__} refused: {type(e).__name__}")

def soak(seconds):
    faults = [resetter, staller, staller, half_closer, garbage, garbage, idle_crowd, good_client]
    threads = [threading.Thread(target=run, args=(f, i, seconds)) for i, f in enumerate(faults)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.exit("; ".join(failures[:5]))

def settle(fd_limit, what, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        left = [l for l in node_sockets() if not l.startswith("LISTEN")]
        if not left and fds() <= fd_limit:
            return
        time.sleep(0.2)
    left = [l for l in node_sockets() if not l.startswith("LISTEN")]
    sys.exit(f"{what}: {fds()} fds (want <= {fd_limit}), sockets left:\n" + "\n".join(left[:10]))

base_fds = fds()
listeners = node_sockets()
soak(3)                         # warm-up: pools, code, allocator arenas
settle(base_fds, "after the warm-up")
time.sleep(2)
baseline = rss_mb()
t0 = time.time()
soak(soak_seconds)
print("faults:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
settle(base_fds, "after the soak")
def endpoints(lines):
    return sorted((l.split()[0], l.split()[3]) for l in lines)

if endpoints(node_sockets()) != endpoints(listeners):
    sys.exit("the node's listeners changed:\n" + "\n".join(node_sockets()))
# freed memory goes back to the system with a delay (allocator decay)
deadline = time.time() + 20
while rss_mb() > baseline + 16 and time.time() < deadline:
    time.sleep(0.5)
print(f"{time.time() - t0:.0f} s: RSS {baseline:.1f} MB after the warm-up, {rss_mb():.1f} MB after the soak; fds {fds()}")
if not sanitize and rss_mb() > baseline + 16:
    sys.exit(f"RSS stayed at {rss_mb():.1f} MB, {rss_mb() - baseline:.1f} MB over the warm-up's")
PY
st=$?
[ $st = 0 ] || exit 1
grep -q "over socket_write_limit" "$log" || { echo "no write-limit close was logged"; exit 1; }
grep -E 'PANIC|Segmentation' "$log" && { echo "node reported a crash"; exit 1; }
kill -0 "$node_pid" || { echo "node died"; exit 1; }
net_stop
