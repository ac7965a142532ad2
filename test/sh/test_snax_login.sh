#!/usr/bin/env bash
# snax.loginserver + snax.msgserver as in skynet's examples/login: the node
# runs test/login/ (login server with 2 slaves, message gate, an agent per
# user); test/login/login_client.lua, run by a plain lua5.4 with
# client.socket and client.crypt, logs in, talks, reconnects (cached
# responses), is refused (401/403/404/400/406 paths) and is kicked by a
# second login.
cd "$(dirname "$0")/../.." || exit 1
command -v lua5.4 >/dev/null || { echo "FAIL: lua5.4 is not installed (make deps)"; exit 1; }
preload=
if ldd luaclib/client.so | grep -q libasan; then
	preload="$(cc -print-file-name=libasan.so):$(cc -print-file-name=libubsan.so)"
fi
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
LOGIN_PORT=$(free_port)
GATE_PORT=$(free_port)
tmp=$(mktemp -d)
log=$tmp/node.log
node_pid=
trap '[ -n "$node_pid" ] && { kill -KILL "$node_pid"; wait "$node_pid"; } 2>/dev/null; rm -rf "$tmp"' EXIT
cat >"$tmp/config.lua" <<CONFIG
thread = 2
bootstrap = "snlua bootstrap"
start = "login_main"
login_port = $LOGIN_PORT
gate_port = $GATE_PORT
cpath = "./cservice/?.so"
luaservice = "./service/?.lua;./test/login/?.lua"
lualoader = "./lualib/loader.lua"
lua_path = "./lualib/?.lua;./lualib/?/init.lua"
lua_cpath = "./luaclib/?.so"
CONFIG
./skynet "$tmp/config.lua" >"$log" 2>&1 &
node_pid=$!
for _ in $(seq 100); do
	grep -q 'login fixture ready' "$log" && break
	sleep 0.1
done
grep -q 'login fixture ready' "$log" || { echo "FAIL: node did not start"; cat "$log"; exit 1; }

LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 timeout 60 lua5.4 test/login/login_client.lua "$LOGIN_PORT" "$GATE_PORT" >"$tmp/client.log" 2>&1
st=$?
cat "$tmp/client.log"
if [ $st != 0 ] || ! grep -q 'CLIENT OK' "$tmp/client.log"; then
	echo "FAIL: client ($st)"
	cat "$log"
	exit 1
fi
# the server side saw what the client did
for text in "login server listen at : 127.0.0.1 $LOGIN_PORT" "alice@sample is login" \
	"alice is logout" "alice@sample is logout" "invalid client" "Invalid password" "AFK" "User slowpoke is already login"; do
	grep -qF "$text" "$log" || { echo "FAIL: node log lacks: $text"; cat "$log"; exit 1; }
done
kill -0 "$node_pid" || { echo "FAIL: node died"; cat "$log"; exit 1; }
echo "login flow ok"
