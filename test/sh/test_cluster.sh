#!/usr/bin/env bash
# skynet.cluster between two of our nodes on free loopback ports: node A
# (test/lua/cluster_driver.lua) calls node B (test/lua/cluster_node.lua)
# and B calls A back.  The shell does what A asks for with "ACTION name"
# lines: kill B mid-call, restart it, stop it (SIGSTOP: a silent peer),
# let it go on, count A's connections to B.  Also in the node table: a port
# nobody listens on, and a listener whose full accept queue leaves every
# new connect hanging.
source "$(dirname "$0")/core_lib.sh"

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}
PA=$(free_port)
PB=$(free_port)
PDOWN=$(free_port)
PSPARE=$(free_port)

# a listener that never accepts: once its queue is full, connects hang
python3 - "$SCRATCH/hang.port" <<'PY' &
import socket, sys, time
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(0)
port = ls.getsockname()[1]
fillers = []
for _ in range(8):
	c = socket.socket()
	c.setblocking(False)
	try:
		c.connect(("127.0.0.1", port))
	except BlockingIOError:
		pass
	fillers.append(c)
open(sys.argv[1], "w").write(str(port))
time.sleep(300)
PY
NODE_PIDS+=($!)
disown
for _ in $(seq 50); do [ -s "$SCRATCH/hang.port" ] && break; sleep 0.1; done
PHANG=$(cat "$SCRATCH/hang.port") || fail "no hanging listener"

cat >"$SCRATCH/nodes.lua" <<NODES
__nowaiting = true
__timeout = 1
na = "127.0.0.1:$PA"
nb = "127.0.0.1:$PB"
ndown = "127.0.0.1:$PDOWN"
nhang = "127.0.0.1:$PHANG"
NODES

node_config "$SCRATCH/b.lua" cluster_node <<CONF
cluster = "$SCRATCH/nodes.lua"
cluster_self = "nb"
CONF
node_config "$SCRATCH/a.lua" cluster_driver <<CONF
cluster = "$SCRATCH/nodes.lua"
cluster_self = "na"
cluster_scratch = "$SCRATCH"
nb_address = "127.0.0.1:$PB"
spare_port = $PSPARE
CONF

B_RUNS=0
start_b() {
	B_RUNS=$((B_RUNS + 1))
	B_LOG=$SCRATCH/b$B_RUNS.log
	start_node "$SCRATCH/b.lua" "$B_LOG"
	B_PID=$NODE_PID
	wait_for_text "$B_LOG" "cluster node nb ready" 20 || { cat "$B_LOG"; fail "node B did not start"; }
}

show_logs() {
	for f in "$SCRATCH"/b*.log; do echo "--- $f"; tail -40 "$f"; done
	echo "--- node A"
	tail -60 "$A_LOG"
}

start_b
A_LOG=$SCRATCH/a.log
start_node "$SCRATCH/a.lua" "$A_LOG"
A_PID=$NODE_PID

do_action() {
	case $1 in
	kill-b)
		kill -9 "$B_PID"
		wait "$B_PID" 2>/dev/null
		;;
	restart-b) start_b ;;
	stop-b) kill -STOP "$B_PID" ;;
	cont-b) kill -CONT "$B_PID" ;;
	one-connection)
		n=$(ss -Htn state established "( dport = :$PB )" | wc -l)
		echo "connections from A to B: $n"
		[ "$n" = 1 ] || { ss -tn | grep ":$PB"; show_logs; fail "want one connection to B, got $n"; }
		;;
	*) show_logs; fail "unknown action $1" ;;
	esac
}

run_actions "$A_LOG" "$A_PID" 180 do_action || { show_logs; fail "node A did not finish"; }

grep -q 'TEST PASS' "$A_LOG" || { show_logs; fail "node A: $(grep -a 'TEST FAIL' "$A_LOG")"; }

# B from a client of our own, in skynet's bytes: a request to "@peer"
# answered; garbage, a frame cut short and a huge announced request each
# cost only their own connection
python3 - "$PB" <<'PY' || { show_logs; fail "raw cluster client"; }
import socket, struct, sys, time
port = int(sys.argv[1])

def request(session):
	# kind 0x80, name, session, skynet.pack("echo", "hi") in skynet's format
	body = b"\x80\x05@peer" + struct.pack("<I", session) + b"\x24echo\x14hi"
	return struct.pack(">H", len(body)) + body

def answer(s):
	s.settimeout(5)
	data = b""
	while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
		chunk = s.recv(4096)
		if not chunk:
			sys.exit("connection closed before the answer")
		data += chunk
	return data

def closed_soon(s):
	s.settimeout(5)
	try:
		return s.recv(4096) == b""
	except ConnectionResetError:
		return True

good = socket.create_connection(("127.0.0.1", port))
want = bytes.fromhex("0008" "07000000" "01" "146869")
good.sendall(request(7))
got = answer(good)
if got != want:
	sys.exit(f"answer {got.hex()} != {want.hex()}")

bad = socket.create_connection(("127.0.0.1", port))
bad.sendall(b"\x00\x03\x05ab")             # an unknown request kind
if not closed_soon(bad):
	sys.exit("garbage did not close the connection")

cut = socket.create_connection(("127.0.0.1", port))
cut.sendall(b"\xff\xff" + b"x" * 100)       # promises 65535 bytes, sends 100
cut.close()

huge = socket.create_connection(("127.0.0.1", port))
# a request announced as 100 MB in parts, then one part and silence
head = b"\x81\x05@peer" + struct.pack("<II", 9, 100 << 20)
part = b"\x02" + struct.pack("<I", 9) + b"p" * 32768
huge.sendall(struct.pack(">H", len(head)) + head + struct.pack(">H", len(part)) + part)
# parts that overflow what was announced are refused with an error answer
small = b"\x81\x05@peer" + struct.pack("<II", 11, 10)
over = b"\x03" + struct.pack("<I", 11) + b"q" * 20
huge.sendall(struct.pack(">H", len(small)) + small + struct.pack(">H", len(over)) + over)
got = answer(huge)
if got[2:7] != struct.pack("<I", 11) + b"\x00":
	sys.exit(f"overflowing parts: {got.hex()}")

good.sendall(request(8))
if answer(good) != bytes.fromhex("0008" "08000000" "01" "146869"):
	sys.exit("the first connection stopped working")
print("raw client: answers in skynet's bytes, bad peers cost only their connection")
PY
kill -TERM "$B_PID"
wait_exit "$B_PID" 20 || fail "node B did not stop"
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$SCRATCH"/*.log; then
	show_logs
	fail "sanitizer report"
fi
echo "PASS: $ACTIONS_DONE actions, B started $B_RUNS times"
