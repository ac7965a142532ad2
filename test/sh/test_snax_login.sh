#!/usr/bin/env bash
# snax.loginserver + snax.msgserver as in skynet's examples/login: the node
# runs test/login/ (login server with 2 slaves, message gate, an agent per
# user); test/login/login_client.lua, run by a plain lua5.4 with
# client.socket and client.crypt, logs in, talks, reconnects (cached
# responses), is refused (401/403/404/400/406 paths) and is kicked by a
# second login.
source "$(dirname "$0")/core_lib.sh"
command -v lua5.4 >/dev/null || fail "lua5.4 is not installed (make deps)"
read -r LOGIN_PORT GATE_PORT < <(python3 test/free_port.py 2 | paste -sd" ")
log=$SCRATCH/node.log
node_config "$SCRATCH/config.lua" login_main <<CONFIG
login_port = $LOGIN_PORT
gate_port = $GATE_PORT
luaservice = "./service/?.lua;./test/login/?.lua"
lua_path = "./lualib/?.lua;./lualib/?/init.lua"
CONFIG
start_node "$SCRATCH/config.lua" "$log"
wait_for_text "$log" "login fixture ready" 10 || { cat "$log"; fail "node did not start"; }

LD_PRELOAD=$(lua_client_preload) ASAN_OPTIONS=detect_leaks=0 timeout 60 lua5.4 test/login/login_client.lua "$LOGIN_PORT" "$GATE_PORT" >"$SCRATCH/client.log" 2>&1
st=$?
cat "$SCRATCH/client.log"
if [ $st != 0 ] || ! grep -q 'CLIENT OK' "$SCRATCH/client.log"; then
	echo "FAIL: client ($st)"
	cat "$log"
	exit 1
fi
# the server side saw what the client did
for text in "login server listen at : 127.0.0.1 $LOGIN_PORT" "alice@sample is login" \
	"alice is logout" "alice@sample is logout" "invalid client" "Invalid password" "AFK" "User slowpoke is already login"; do
	grep -qF "$text" "$log" || { echo "FAIL: node log lacks: $text"; cat "$log"; exit 1; }
done
kill -0 "$NODE_PID" || { echo "FAIL: node died"; cat "$log"; exit 1; }
echo "login flow ok"
