#!/usr/bin/env bash
# http.websocket against a client we did not write (Debian's
# python3-websockets): echo of text, binary, UTF-8, 16- and 64-bit lengths,
# fragmented messages, pings both ways, closing handshakes from either
# side, 1009 for a frame over MAX_FRAME_SIZE; the same over wss:// (a
# certificate made by openssl) and over an upgrade from http.httpd.  Then
# hand-made bad frames (unmasked, reserved bits, unknown opcode, long or
# fragmented control frames, stray continuations, bad UTF-8, bad close
# codes, a 2^40-byte length) must close with 1002/1007/1009, and bad
# handshakes get 400/426/413; the server keeps serving afterwards.
source "$(dirname "$0")/http_lib.sh"
PY=/usr/bin/python3 # Debian's interpreter, where python3-websockets lives
$PY -c 'import websockets' 2>/dev/null || fail "python3-websockets is missing (make deps)"
need openssl openssl
make_cert
free_ports 3
start_node ws_serve "ws_serve: ready" <<CONFIG
ws_port = ${PORTS[0]}
wss_port = ${PORTS[1]}
upgrade_port = ${PORTS[2]}
certfile = "$TMP/cert.pem"
keyfile = "$TMP/key.pem"
CONFIG
timeout 120 $PY test/http/ws_client.py "${PORTS[@]}" "$TMP/cert.pem" || fail "websocket checks"
grep -q "ws close 1000 done" "$LOG" || fail "the server did not see the client's close 1000 done"
grep -q "ws pong" "$LOG" || fail "the server did not see the pong to its ping"
grep -q "ws error websocket protocol error 1002: unmasked frame from a client" "$LOG" ||
	fail "the unmasked frame was not reported"
stop_node
echo PASS
