#!/usr/bin/env bash
# Hostile peers in harbor mode.  A Python script (written from the wire
# format, see service-src/service_harbor.c and service/cmaster.lua) sends
# garbage and bad handshakes to the master, then joins as fake harbors:
# a request and a message to a missing service get skynet's answer frames,
# then frames with a bad length make the node drop that link.  The node
# must survive it all: a real harbor 2 joins afterwards and calls it.
source "$(dirname "$0")/core_lib.sh"

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}
MASTER=$(free_port)
node_config "$SCRATCH/node1.lua" harbor_node <<CONF
harbor = 1
standalone = "127.0.0.1:$MASTER"
master = "127.0.0.1:$MASTER"
address = "127.0.0.1:$(free_port)"
CONF
start_node "$SCRATCH/node1.lua" "$SCRATCH/node1.log"
NODE1=$NODE_PID
wait_for_text "$SCRATCH/node1.log" "HARBOR NODE READY 1" 10 || { cat "$SCRATCH/node1.log"; fail "node 1 did not start"; }

timeout 60 python3 - "$MASTER" <<'PY' || { cat "$SCRATCH/node1.log"; fail "hostile peer script"; }
import socket, struct, sys, os
master = ("127.0.0.1", int(sys.argv[1]))

def pack(*values):
    """skynet.packstring of strings and integers"""
    out = b""
    for v in values:
        if isinstance(v, str):
            b = v.encode()
            assert len(b) < 32
            out += bytes([4 | len(b) << 3]) + b
        elif v == 0:
            out += b"\x02"
        elif 0 < v < 0x100:
            out += bytes([2 | 1 << 3, v])
        elif 0 < v < 0x10000:
            out += bytes([2 | 2 << 3]) + struct.pack("<H", v)
        else:
            out += bytes([2 | 4 << 3]) + struct.pack("<i", v)
    return out

def package(*values):
    body = pack(*values)
    return bytes([len(body)]) + body

def read_exact(s, n):
    data = b""
    while len(data) < n:
        part = s.recv(n - len(data))
        if not part:
            return None
        data += part
    return data

def closed_by_peer(s):
    s.settimeout(5)
    try:
        while True:
            if not s.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False

def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        sys.exit(1)

# 1. the master drops garbage and bad handshakes
bad = [b"\x08" + b"\x07" * 8, package("X", 3, "a"), package("H", 0, "127.0.0.1:1"),
       package("H", 1, "127.0.0.1:1"), package("H", 300, "127.0.0.1:1"),
       package("H", 5), b"\x03\x7f\x7f\x7f", b"\x00"]
# packages cut short by the peer's FIN, and random bytes
cut = [b"\xff" + b"x" * 10, b"\x01"] + [os.urandom(40) for _ in range(20)]
for i, data in enumerate(bad + cut):
    s = socket.create_connection(master)
    s.sendall(data)
    if i >= len(bad):
        s.shutdown(socket.SHUT_WR)
    check(closed_by_peer(s), "master drops bad input %d" % i)
    s.close()

def fake_harbor(hid):
    """joins as harbor hid; returns (master socket, link socket from node 1)"""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    m = socket.create_connection(master)
    m.sendall(package("H", hid, "127.0.0.1:%d" % ls.getsockname()[1]))
    size = read_exact(m, 1)[0]
    body = read_exact(m, size)
    check(body[:2] == b"\x0cW", "harbor %d: the master says wait" % hid)
    ls.settimeout(10)
    link, _ = ls.accept()
    check(read_exact(link, 1) == b"\x01", "harbor %d: node 1 says its id" % hid)
    link.sendall(bytes([hid]))
    return m, link

def query(m, name):
    m.sendall(package("Q", name))
    size = read_exact(m, 1)[0]
    body = read_exact(m, size)
    check(body.startswith(b"\x0cN" + pack(name)), "the master knows " + name)
    rest = body[2 + len(pack(name)):]
    return struct.unpack("<i", rest[1:5])[0]

def frame(payload, source, dest, ptype, session):
    n = len(payload) + 12
    return struct.pack(">I", n) + payload + struct.pack(">III", source, (ptype << 24) | (dest & 0xffffff), session)

def read_frame(link):
    head = read_exact(link, 4)
    n = struct.unpack(">I", head)[0]
    body = read_exact(link, n)
    source, dest, session = struct.unpack(">III", body[-12:])
    return body[:-12], source, dest >> 24, dest & 0xffffff, session

# 2. a fake harbor 9: a request gets its answer, a missing service an error
m9, link9 = fake_harbor(9)
node1 = query(m9, "node1")
check(node1 >> 24 == 1, "node1 lives on harbor 1")
link9.sendall(frame(pack("ping"), 0x09000001, node1, 10, 5))
payload, source, ptype, dest, session = read_frame(link9)
check(ptype == 1 and dest == 1 and session == 5 and source == node1, "the answer frame of a call")
check(payload[:2] == b"\x0a\x01", "the answer: harbor id 1 first")
link9.sendall(frame(pack("ping"), 0x09000002, 0x01fffff0, 10, 6))
payload, source, ptype, dest, session = read_frame(link9)
check(ptype == 7 and dest == 2 and session == 6 and payload == b"", "an error frame for a missing service")
# a frame shorter than its header: the link is dropped
link9.sendall(struct.pack(">I", 5) + b"abcde")
check(closed_by_peer(link9), "node 1 drops a link with a short frame")

# 3. harbor 11: a length over 16 MB, then harbor 12: a frame cut short
m11, link11 = fake_harbor(11)
link11.sendall(b"\x01\x00\x00\x00" + b"x" * 100)
check(closed_by_peer(link11), "node 1 drops a link with a length over 16 MB")
m12, link12 = fake_harbor(12)
link12.sendall(struct.pack(">I", 1 << 20) + b"y" * 1000)
link12.close()
for m in (m9, m11, m12):
    m.close()
print("hostile peers done")
PY

# node 1 still serves: a real harbor 2 joins and calls it
cat >"$SCRATCH/joiner.lua" <<'LUA'
local skynet = require "skynet"
skynet.start(function()
	local ok, id = pcall(skynet.call, "node1", "lua", "ping")
	skynet.error(ok and "PING " .. tostring(id) or "PING FAILED " .. tostring(id))
	skynet.abort()
end)
LUA
node_config "$SCRATCH/node2.lua" joiner <<CONF
harbor = 2
master = "127.0.0.1:$MASTER"
address = "127.0.0.1:$(free_port)"
luaservice = "$ROOT/service/?.lua;$SCRATCH/?.lua;$ROOT/test/lua/?.lua"
CONF
timeout 30 ./skynet "$SCRATCH/node2.lua" >"$SCRATCH/node2.log" 2>&1
grep -q "PING 1" "$SCRATCH/node2.log" || { cat "$SCRATCH/node2.log"; cat "$SCRATCH/node1.log"; fail "node 1 no longer serves"; }
kill -0 "$NODE1" || fail "node 1 died"
kill "$NODE1"
wait_exit "$NODE1" 10 || fail "node 1 did not stop"
grep -E "Invalid message length|Harbor 9 is down" "$SCRATCH/node1.log" | head -3
# nodes built with SANITIZE=1 report here (run.sh reads only this script's output)
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$SCRATCH"/*.log; then
	fail "sanitizer report in a node's log"
fi
echo "hostile harbor peers passed"
