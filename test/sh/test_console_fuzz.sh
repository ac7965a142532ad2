#!/usr/bin/env bash
# The debug console under random input: sessions of random bytes and lines,
# and random HTTP requests (methods, paths, headers, bodies).  The node keeps
# running, no command a fuzz line smuggles in changes anything (a marker file
# is never written, no service is started), and a normal session works after.
cd "$(dirname "$0")/../.." || exit 1
. test/console/node.sh
PORT=$(python3 test/free_port.py)
start_node "$PORT"
MARK=$NODE_DIR/fuzzed

python3 - "$PORT" "$MARK" <<'EOF' || fail "console fuzz"
import os, random, socket, sys, time
sys.path.insert(0, "test")
from console_client import Console

port, mark = int(sys.argv[1]), sys.argv[2]
rng = random.Random(int(os.environ.get("FUZZ_SEED", "1234")))
WORDS = ["help", "list", "call", "debug", "inject", "start", "GET", "POST", "HTTP/1.1",
         "Host:", "auth", "cont", "\xff\xfd\x01", ".echo", ":00000008", "/", "%2F", "\r",
         'os.execute("touch %s")' % mark, "{", "}", '"', "\\", "..", "a=a..a"]

def random_line():
    kind = rng.random()
    if kind < 0.3:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
    if kind < 0.8:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 8))).encode("latin-1")
    return rng.choice(WORDS).encode("latin-1") * rng.randrange(1, 2000)

def random_http():
    method = rng.choice(["GET", "POST", "PUT", "HEAD", "OPTIONS", "DELETE", "BREW", "get"])
    path = "/" + "/".join(rng.choice(["list", "call", ".echo", "start", "debug", "%22x%22",
                                       "inject", "gc", "..", "%00", "?token=x"]) for _ in range(rng.randrange(4)))
    head = "%s %s HTTP/1.%d\r\n" % (method, path, rng.randrange(2))
    for _ in range(rng.randrange(5)):
        head += "%s: %s\r\n" % (rng.choice(["Host", "Content-Length", "X", "Authorization"]),
                                rng.choice(["127.0.0.1", "evil.example", "12", "Bearer x", "\x01\x02"]))
    body = b"\r\n" + b"\n".join(random_line() for _ in range(rng.randrange(4)))
    return head.encode("latin-1") + body

def blast(data):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(2)
        try:
            while s.recv(65536):
                pass
        except socket.timeout:
            pass
        s.close()
    except OSError:
        pass

for i in range(120):
    if i % 2:
        blast(random_http())
    else:
        blast(b"\n".join(random_line() for _ in range(rng.randrange(1, 20))) + b"\n")

time.sleep(0.5)
assert not os.path.exists(mark), "a fuzz line ran code"
con = Console(port)
lines, st = con.cmd("list")
assert st == "OK", lines
services = [l for l in lines if "snlua" in l]
assert len(services) <= 8, "fuzzing started services:\n" + "\n".join(lines)
lines, st = con.cmd('call .echo "ping"')
assert st == "OK" and lines[0] == '1\t"pong"', lines
print("fuzz ok")
EOF
node_alive || fail "node died"
echo PASS
