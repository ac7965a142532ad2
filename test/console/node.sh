# Helpers for the console tests (test/sh/test_console_*.sh), sourced from
# the repository root:  start_node PORT [config lines...] boots a node
# running test/console/console_main.lua with a debug console on PORT ("@DIR@"
# in config lines is the node's scratch directory); the
# node is killed when the test script exits.  NODE_LOG is its output.

CONSOLE_CLIENT="python3 test/console_client.py"

start_node() {
	local port=$1
	shift
	NODE_DIR=$(mktemp -d)
	NODE_LOG=$NODE_DIR/node.log
	{
		echo 'root = "./"'
		echo 'thread = 2'
		echo 'harbor = 0'
		echo 'bootstrap = "snlua bootstrap"'
		echo 'start = "console_main"'
		echo 'cpath = root .. "cservice/?.so"'
		echo 'luaservice = root .. "service/?.lua;" .. root .. "test/console/?.lua"'
		echo 'lualoader = root .. "lualib/loader.lua"'
		echo 'lua_path = root .. "lualib/?.lua;" .. root .. "lualib/?/init.lua"'
		echo 'lua_cpath = root .. "luaclib/?.so"'
		echo "console_port = $port"
		echo 'console_timeout = 1'
		printf '%s\n' "$@" | sed "s|@DIR@|$NODE_DIR|g"
	} >"$NODE_DIR/config.lua"
	./skynet "$NODE_DIR/config.lua" >"$NODE_LOG" 2>&1 <"${NODE_STDIN:-/dev/null}" 3>&- &
	NODE_PID=$!
	trap stop_node EXIT
	for _ in $(seq 200); do
		grep -q "CONSOLE READY" "$NODE_LOG" && return 0
		kill -0 "$NODE_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "node did not start:"
	cat "$NODE_LOG"
	exit 1
}

stop_node() {
	if [ -n "${NODE_PID:-}" ]; then
		kill "$NODE_PID" 2>/dev/null
		wait "$NODE_PID" 2>/dev/null
		NODE_PID=
	fi
	if [ -d "$NODE_DIR" ]; then
		echo "---- node log"
		cat "$NODE_LOG"
		rm -rf "$NODE_DIR"
	fi
}

node_alive() {
	kill -0 "$NODE_PID" 2>/dev/null
}

fail() {
	echo "FAIL: $*"
	exit 1
}

# expect_in TEXT PATTERN [what]: TEXT has a line matching the extended regex
expect_in() {
	grep -qE -- "$2" <<<"$1" || fail "${3:-output} lacks /$2/ in:
$1"
}
