# shellcheck shell=bash
# Sourced by the http, websocket and dns tests: a scratch folder, a
# self-signed certificate made by openssl, a node started on a config that
# includes test/config.lua, and a clean SIGTERM shutdown at the end (so a
# sanitizer build reports leaks).
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
TMP=$(mktemp -d /tmp/skynet_http_test.XXXXXX)
LOG=$TMP/node.log
NODE_PID=
PEER_PIDS=()
export TEST=unused

http_cleanup() {
	[ -n "$NODE_PID" ] && kill -KILL "$NODE_PID" 2>/dev/null
	local pid
	for pid in "${PEER_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap http_cleanup EXIT

fail() {
	echo "FAIL: $*"
	[ -f "$LOG" ] && tail -n 40 "$LOG"
	exit 1
}

# free_ports N: sets PORTS to N free loopback ports
free_ports() {
	mapfile -t PORTS < <(python3 test/free_port.py "$1")
}

# make_cert: $TMP/cert.pem and $TMP/key.pem for localhost and 127.0.0.1
make_cert() {
	openssl req -x509 -newkey rsa:2048 -days 2 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
		-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>"$TMP/openssl.log" ||
		fail "openssl req could not make a certificate: $(cat "$TMP/openssl.log")"
}

# start_node START READY: a node whose start service is START, with the
# config lines on stdin; waits until its log shows READY
start_node() {
	{
		printf 'include "%s/test/config.lua"\n' "$ROOT"
		printf 'start = "%s"\n' "$1"
		cat
	} >"$TMP/config.lua"
	./skynet "$TMP/config.lua" >"$LOG" 2>&1 &
	NODE_PID=$!
	local i
	for i in $(seq 100); do
		grep -qF -- "$2" "$LOG" && return 0
		kill -0 "$NODE_PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "the node did not start ($2 not in its log)"
}

# stop_node: SIGTERM, then the node must exit cleanly within 10 s
stop_node() {
	kill -TERM "$NODE_PID"
	local i
	for i in $(seq 100); do
		kill -0 "$NODE_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$NODE_PID" 2>/dev/null && fail "the node did not shut down on SIGTERM"
	wait "$NODE_PID"
	NODE_PID=
	if grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$LOG"; then
		fail "sanitizer report"
	fi
}

# need CMD PACKAGE: fails (never skips) when a peer program is missing
need() {
	command -v "$1" >/dev/null || fail "$1 is missing: install $2 (make deps)"
}
