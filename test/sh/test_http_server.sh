#!/usr/bin/env bash
# http.httpd (test/lua/http_serve.lua) against clients we did not write:
# curl (GET, keep-alive reuse, POST bodies, chunked uploads and responses,
# HTTPS to a self-signed certificate made by openssl, 413 for a body over
# the limit), openssl s_client, and Python's http.client/ssl (keep-alive,
# chunked, HTTPS) plus raw malformed requests (bad request lines, huge or
# endless headers, bad lengths, bad chunk sizes, unknown codings, a slow
# client, garbage on the TLS port): each ends in an error status or a
# closed connection, and the server keeps serving.
source "$(dirname "$0")/http_lib.sh"
need curl curl
need openssl openssl
make_cert
free_ports 2
HTTP=${PORTS[0]}
HTTPS=${PORTS[1]}
start_node http_serve "http_serve: listening" <<CONFIG
http_port = $HTTP
https_port = $HTTPS
certfile = "$TMP/cert.pem"
keyfile = "$TMP/key.pem"
CONFIG

check() { # what: the last command succeeded
	echo "ok $1"
}

body=$(curl -sS "http://127.0.0.1:$HTTP/hello") && [ "$body" = "hello world" ] || fail "curl GET /hello: $body"
check "curl GET"
curl -sv "http://127.0.0.1:$HTTP/hello" "http://127.0.0.1:$HTTP/query?a=1&b=x+y&a=2" >"$TMP/ka.out" 2>"$TMP/ka.err" || fail "curl keep-alive"
grep -q "Re-using existing connection" "$TMP/ka.err" || fail "curl did not reuse the connection: $(cat "$TMP/ka.err")"
grep -q "/query?a=1,2&b=x y" "$TMP/ka.out" || fail "query decoding: $(cat "$TMP/ka.out")"
check "curl keep-alive and query decoding"
head -c 30000 /dev/urandom >"$TMP/blob"
curl -sS --data-binary @"$TMP/blob" "http://127.0.0.1:$HTTP/echo" -o "$TMP/blob.back" || fail "curl POST"
cmp -s "$TMP/blob" "$TMP/blob.back" || fail "POST body came back different"
check "curl POST 30 KB"
curl -sS -D "$TMP/chunk.h" -H "Transfer-Encoding: chunked" --data-binary @"$TMP/blob" "http://127.0.0.1:$HTTP/echo" -o "$TMP/blob.back2" || fail "curl chunked POST"
cmp -s "$TMP/blob" "$TMP/blob.back2" && grep -qi "x-transfer-encoding: chunked" "$TMP/chunk.h" || fail "chunked upload"
check "curl chunked upload"
raw=$(curl -sS --raw "http://127.0.0.1:$HTTP/chunked" | od -c | tr -s ' ' | tr -d '\n')
echo "$raw" | grep -q '7 \\r \\n p a r t 1 ;' || fail "chunked response framing: $raw"
[ "$(curl -sS "http://127.0.0.1:$HTTP/chunked")" = "part 1;part 2;part 3;part 4;part 5;" ] || fail "chunked response body"
check "curl chunked response"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @<(head -c 70000 /dev/zero) "http://127.0.0.1:$HTTP/echo")
[ "$code" = 413 ] || fail "body over the limit answered $code"
check "curl body over the limit: 413"
body=$(curl -sS --cacert "$TMP/cert.pem" "https://localhost:$HTTPS/hello") && [ "$body" = "hello world" ] || fail "curl https: $body"
curl -sS --cacert "$TMP/cert.pem" --data-binary @"$TMP/blob" "https://localhost:$HTTPS/echo" -o "$TMP/blob.back3" || fail "curl https POST"
cmp -s "$TMP/blob" "$TMP/blob.back3" || fail "https POST body came back different"
curl -sv --cacert "$TMP/cert.pem" "https://localhost:$HTTPS/hello" "https://localhost:$HTTPS/chunked" >"$TMP/tka.out" 2>"$TMP/tka.err" || fail "curl https keep-alive"
grep -q "Re-using existing connection" "$TMP/tka.err" && grep -q "part 5;" "$TMP/tka.out" || fail "https keep-alive"
check "curl https (verified against the certificate), POST, keep-alive"
printf 'GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
	timeout 10 openssl s_client -connect "127.0.0.1:$HTTPS" -servername localhost -quiet -verify_return_error -CAfile "$TMP/cert.pem" >"$TMP/s_client.out" 2>"$TMP/s_client.err"
grep -q "hello world" "$TMP/s_client.out" || fail "openssl s_client: $(cat "$TMP/s_client.err" "$TMP/s_client.out")"
check "openssl s_client"

timeout 120 python3 test/http/http_client.py "$HTTP" "$HTTPS" "$TMP/cert.pem" || fail "Python http.client checks"
body=$(curl -sS "http://127.0.0.1:$HTTP/hello") && [ "$body" = "hello world" ] || fail "curl after the bad requests"
check "still serving"
stop_node
echo PASS
