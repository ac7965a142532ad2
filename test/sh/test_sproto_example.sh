#!/usr/bin/env bash
# sproto end to end: a node with a protocol loader (sprotoloader slots), a
# watchdog, a gate and one agent per client (test/sproto/) talks sproto RPC
# with test/sproto/sproto_client.lua run by a plain lua5.4 with client.socket:
# handshake, set, get, a server-pushed heartbeat, quit. Two clients in turn,
# then a client that sends garbage: its agent errors, the node keeps serving.
source "$(dirname "$0")/core_lib.sh"
command -v lua5.4 >/dev/null || fail "lua5.4 is not installed (make deps)"
lua5.4 -e 'require "lpeg"' || fail "lpeg is not installed for lua5.4 (make deps)"

preload=$(lua_client_preload)
run_client() { # log
	LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 timeout 20 lua5.4 test/sproto/sproto_client.lua "$PORT" >"$1" 2>&1
}

PORT=$(python3 test/free_port.py)
log=$SCRATCH/node.log
node_config "$SCRATCH/config.lua" sproto_main <<CONFIG
sproto_port = $PORT
luaservice = "./service/?.lua;./test/sproto/?.lua;./examples/?.lua"
lua_path = "./lualib/?.lua;./lualib/?/init.lua;./test/sproto/?.lua"
CONFIG
start_node "$SCRATCH/config.lua" "$log"
wait_for_text "$log" "sproto example: listen on 0.0.0.0:$PORT" 10 || { cat "$log"; fail "node did not start"; }

for i in 1 2; do
	run_client "$SCRATCH/client$i.log"
	st=$?
	cat "$SCRATCH/client$i.log"
	[ $st = 0 ] && grep -q 'CLIENT OK' "$SCRATCH/client$i.log" || { echo "client $i failed ($st)"; cat "$log"; exit 1; }
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
run_client "$SCRATCH/client3.log" || { echo "the node stopped serving after bad packets"; cat "$SCRATCH/client3.log" "$log"; exit 1; }

kill -TERM "$NODE_PID"
wait_exit "$NODE_PID" 10 || fail "node did not shut down on SIGTERM"
grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" && { cat "$log"; exit 1; }
echo PASS
