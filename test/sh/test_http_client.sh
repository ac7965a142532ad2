#!/usr/bin/env bash
# http.httpc and http.websocket's client against peers we did not write:
# Python's http.server (plain and over ssl with a certificate made by
# openssl) and a python3-websockets server (ws and wss); the checks are in
# test/lua/httpc_main.lua.
source "$(dirname "$0")/http_lib.sh"
PY=/usr/bin/python3 # Debian's interpreter, where python3-websockets lives
$PY -c 'import websockets' 2>/dev/null || fail "python3-websockets is missing (make deps)"
need openssl openssl
make_cert
free_ports 5
$PY test/http/py_peers.py "${PORTS[@]:0:4}" "$TMP/cert.pem" "$TMP/key.pem" >"$TMP/peers.log" 2>&1 &
PEER_PIDS+=($!)
for _ in $(seq 100); do
	grep -q READY "$TMP/peers.log" && break
	sleep 0.1
done
grep -q READY "$TMP/peers.log" || fail "the Python peers did not start: $(cat "$TMP/peers.log")"
{
	printf 'include "%s/test/config.lua"\n' "$ROOT"
	printf 'start = "httpc_main"\n'
	printf 'py_http = %s\npy_https = %s\npy_ws = %s\npy_wss = %s\nclosed_port = %s\n' "${PORTS[@]}"
} >"$TMP/config.lua"
timeout 120 ./skynet "$TMP/config.lua" >"$LOG" 2>&1
grep -q "TEST PASS" "$LOG" || fail "httpc_main did not pass"
if grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$LOG"; then
	fail "sanitizer report"
fi
echo PASS
