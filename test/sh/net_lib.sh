# Sourced by test_net_*.sh: runs the network example (examples/config_net.lua)
# on GATE_PORT, ECHO_PORT with MAXCLIENT (and the config lines in NET_CONFIG),
# logging to $log.

# writes the node's config to a fresh $tmp and removes it (and the node) on exit
net_setup() {
	tmp=$(mktemp -d)
	log=$tmp/node.log
	cat >"$tmp/config.lua" <<CONFIG
include "$PWD/examples/config_net.lua"
gate_port = $GATE_PORT
echo_port = $ECHO_PORT
maxclient = $MAXCLIENT
${NET_CONFIG:-}
CONFIG
	node_pid=
	trap '[ -n "$node_pid" ] && { kill -KILL "$node_pid"; wait "$node_pid"; } 2>/dev/null; rm -rf "$tmp"' EXIT
}

# starts the node (with NODE_ULIMIT open files when set) and waits for its gate
net_start() {
	if [ -n "${NODE_ULIMIT:-}" ]; then
		(ulimit -n "$NODE_ULIMIT" && exec ./skynet "$tmp/config.lua") >"$log" 2>&1 &
	else
		./skynet "$tmp/config.lua" >"$log" 2>&1 &
	fi
	node_pid=$!
	for _ in $(seq 100); do
		grep -q 'main_net: gate on' "$log" && break
		sleep 0.1
	done
	grep -q 'main_net: gate on' "$log" || { echo "node did not start"; cat "$log"; exit 1; }
}

# a clean shutdown, so that a sanitizer build reports leaks and bad accesses
net_stop() {
	kill -TERM "$node_pid"
	for _ in $(seq 100); do
		kill -0 "$node_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$node_pid" 2>/dev/null && { echo "node did not shut down on SIGTERM"; exit 1; }
	wait "$node_pid"
	node_pid=
	grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" && { cat "$log"; exit 1; }
	echo "PASS"
}
