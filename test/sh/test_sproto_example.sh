#!/usr/bin/env bash
# sproto end to end: a node with a protocol loader (sprotoloader slots), a
# watchdog, a gate and one agent per client (test/sproto/) talks sproto RPC
# with test/sproto/sproto_client.lua run by a plain lua5.4 with client.socket:
# handshake, set, get, a server-pushed heartbeat, quit. Two clients in turn,
# then a client that sends garbage: its agent errors, the node keeps serving.
cd "$(dirname "$0")/../.." || exit 1
command -v lua5.4 >/dev/null || { echo "FAIL: lua5.4 is not installed (make deps)"; exit 1; }
lua5.4 -e 'require "lpeg"' || { echo "FAIL: lpeg is not installed for lua5.4 (make deps)"; exit 1; }

# a sanitizer build's luaclib/*.so need the sanitizer runtimes loaded first into lua5.4
preload=
if ldd luaclib/client.so | grep -q libasan; then
	preload="$(cc -print-file-name=libasan.so):$(cc -print-file-name=libubsan.so)"
fi
run_client() { # log
	LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 timeout 20 lua5.4 test/sproto/sproto_client.lua "$PORT" >"$1" 2>&1
}

PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
tmp=$(mktemp -d)
log=$tmp/node.log
node_pid=
trap '[ -n "$node_pid" ] && { kill -KILL "$node_pid"; wait "$node_pid"; } 2>/dev/null; rm -rf "$tmp"' EXIT
cat >"$tmp/config.lua" <<CONFIG
thread = 2
bootstrap = "snlua bootstrap"
start = "sproto_main"
sproto_port = $PORT
cpath = "./cservice/?.so"
luaservice = "./service/?.lua;./test/sproto/?.lua;./examples/?.lua"
lualoader = "./lualib/loader.lua"
lua_path = "./lualib/?.lua;./lualib/?/init.lua;./test/sproto/?.lua"
lua_cpath = "./luaclib/?.so"
CONFIG

./skynet "$tmp/config.lua" >"$log" 2>&1 &
node_pid=$!
for _ in $(seq 100); do
	grep -q 'sproto example: listen on' "$log" && break
	sleep 0.1
done
grep -q "sproto example: listen on 0.0.0.0:$PORT" "$log" || { echo "node did not start"; cat "$log"; exit 1; }

for i in 1 2; do
	run_client "$tmp/client$i.log"
	st=$?
	cat "$tmp/client$i.log"
	[ $st = 0 ] && grep -q 'CLIENT OK' "$tmp/client$i.log" || { echo "client $i failed ($st)"; cat "$log"; exit 1; }
done

# a packet that is not sproto: the agent's unpack raises, the node goes on
python3 - "$PORT" <<'PY' || { cat "$log"; exit 1; }
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
for junk in (b"\xff", b"\x01\x02\x03", b"\xff\x07" + b"\x00" * 3):
    s.sendall(struct.pack(">H", len(junk)) + junk)
time.sleep(0.3)
s.close()
PY
sleep 0.3
grep -q 'Invalid unpack stream\|decode error' "$log" || { echo "the bad packets were not reported"; cat "$log"; exit 1; }
run_client "$tmp/client3.log" || { echo "the node stopped serving after bad packets"; cat "$tmp/client3.log" "$log"; exit 1; }

kill -TERM "$node_pid"
for _ in $(seq 100); do
	kill -0 "$node_pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$node_pid" 2>/dev/null && { echo "node did not shut down on SIGTERM"; exit 1; }
wait "$node_pid"
node_pid=
grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" && { cat "$log"; exit 1; }
echo PASS
