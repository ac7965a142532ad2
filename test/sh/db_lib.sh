# shellcheck shell=bash
# Sourced by test_db_*.sh (after core_lib.sh): real database servers started
# in $SCRATCH on free loopback ports and stopped by pid on exit.
SERVER_PIDS=()

stop_servers() {
	local pid
	touch "$SCRATCH/stop-supervisors"
	for pid in "${SERVER_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${SERVER_PIDS[@]}"; do
		wait_gone "$pid" 10 || kill -9 "$pid" 2>/dev/null
	done
	cleanup
}
trap stop_servers EXIT

# need_program NAME...: a missing program fails the test and says why
need_program() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null || fail "$p is not installed (run 'make deps': 3rd/install-deps.sh)"
	done
}

# free_ports N [OFFSET]: N free loopback TCP ports, one per line; with
# OFFSET, port+OFFSET is free too (a redis cluster's bus port)
free_ports() {
	python3 - "$1" "${2:-0}" <<'PY'
import socket, sys
n, offset = int(sys.argv[1]), int(sys.argv[2])
held, found = [], []
while len(found) < n:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    held.append(s)
    if offset:
        if port + offset > 65535:
            continue
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        held.append(t)
    found.append(port)
print("\n".join(map(str, found)))
PY
}

# redis_options PORT DIR: makes DIR and sets REDIS_OPTIONS to the options
# of a throw-away redis-server on PORT (no persistence, log in DIR/redis.log)
redis_options() {
	mkdir -p "$2"
	REDIS_OPTIONS=(--port "$1" --bind 127.0.0.1 --dir "$2" --save "" --appendonly no
		--daemonize no --logfile "$2/redis.log")
}

# redis_start PORT DIR [ARGS...]: runs redis-server in the foreground of a
# background job; sets SERVER_PID and waits until it answers PING
redis_start() {
	local port=$1 dir=$2
	shift 2
	redis_options "$port" "$dir"
	redis-server "${REDIS_OPTIONS[@]}" "$@" &
	SERVER_PID=$!
	SERVER_PIDS+=("$SERVER_PID")
	redis_wait "$port" || fail "redis-server on port $port did not start: $(tail -5 "$dir/redis.log")"
}

# redis_wait PORT: until the server on PORT answers (auth errors count as answers)
redis_wait() {
	local deadline=$((SECONDS + 10))
	until redis-cli -p "$1" ping 2>/dev/null | grep -qE 'PONG|NOAUTH'; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

# redis_supervise PORT DIR [ARGS...]: keeps a redis-server running on PORT,
# starting a new one whenever it exits (a test shuts it down to restart it)
redis_supervise() {
	local port=$1 dir=$2
	shift 2
	redis_options "$port" "$dir"
	(
		child=
		trap 'kill $child 2>/dev/null; exit 0' TERM
		while [ ! -e "$SCRATCH/stop-supervisors" ]; do
			redis-server "${REDIS_OPTIONS[@]}" "$@" &
			child=$!
			wait $child
			echo "redis-server on $port exited" >>"$dir/restarts"
			sleep 0.2
		done
	) &
	SERVER_PIDS+=("$!")
	redis_wait "$port" || fail "redis-server on port $port did not start: $(tail -5 "$dir/redis.log")"
}

# run_db_test SERVICE SECONDS [CONFIG LINES on stdin]: boots a node whose
# start service is SERVICE (test/lua/) and checks it prints TEST PASS
run_db_test() {
	local svc=$1 seconds=$2
	node_config "$SCRATCH/$svc.config" "$svc"
	start_node "$SCRATCH/$svc.config" "$SCRATCH/$svc.log"
	if ! wait_exit "$NODE_PID" "$seconds"; then
		cat "$SCRATCH/$svc.log"
		fail "$svc did not finish within $seconds s"
	fi
	cat "$SCRATCH/$svc.log"
	grep -q 'TEST PASS' "$SCRATCH/$svc.log" || fail "$svc did not pass"
	! grep -q 'TEST FAIL' "$SCRATCH/$svc.log" || fail "$svc failed"
}

# mariadb_install DIR: a fresh data folder in DIR/data
mariadb_install() {
	mkdir -p "$1"
	mariadb-install-db --no-defaults --datadir="$1/data" --user="$(id -un)" \
		--auth-root-authentication-method=socket --skip-test-db >"$1/install.log" 2>&1 ||
		fail "mariadb-install-db failed: $(tail -5 "$1/install.log")"
}

# mariadb_supervise PORT DIR: keeps a mariadbd on PORT (and DIR/sock) running,
# starting a new one whenever it exits; waits until it accepts connections
mariadb_supervise() {
	local port=$1 dir=$2
	(
		child=
		trap 'kill $child 2>/dev/null; wait $child; exit 0' TERM
		while [ ! -e "$SCRATCH/stop-supervisors" ]; do
			mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/sock" --port="$port" \
				--bind-address=127.0.0.1 --user="$(id -un)" --pid-file="$dir/mariadbd.pid" \
				--log-error="$dir/error.log" --skip-log-bin --innodb-buffer-pool-size=16M --max-allowed-packet=64M &
			child=$!
			wait $child
			echo "mariadbd on $port exited" >>"$dir/restarts"
			sleep 0.2
		done
	) &
	SERVER_PIDS+=("$!")
	local deadline=$((SECONDS + 30))
	until mariadb --no-defaults --socket="$dir/sock" -uroot -e 'select 1' >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && fail "mariadbd on port $port did not start: $(tail -5 "$dir/error.log")"
		sleep 0.2
	done
}
