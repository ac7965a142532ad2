"""Drives test/lua/http_serve.lua with Python's http.client and ssl (keep-
alive, chunked uploads, HTTPS) and with raw malformed requests.
Usage: http_client.py HTTP_PORT HTTPS_PORT CERTFILE
Prints one line per check; exits 1 on the first failure."""
import http.client
import os
import socket
import ssl
import sys
import time

PORT, SPORT, CERT = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


def check(cond, what):
    if not cond:
        print("FAIL", what)
        sys.exit(1)
    print("ok", what)


def session(conn, name):
    for i in range(3):
        conn.request("GET", "/query?i=%d&x=a%%20b" % i)
        r = conn.getresponse()
        check(r.status == 200 and r.read() == b"/query?i=%d&x=a b" % i, "%s keep-alive request %d" % (name, i))
    body = os.urandom(50000)
    conn.request("POST", "/echo", body=body)
    r = conn.getresponse()
    check(r.read() == body and r.getheader("x-length") == "50000", name + " 50 KB POST echo")
    conn.request("POST", "/echo", body=iter([b"abc", b"defg", b"h" * 3000]), encode_chunked=True)
    r = conn.getresponse()
    check(r.getheader("x-transfer-encoding") == "chunked" and r.read() == b"abcdefg" + b"h" * 3000,
          name + " chunked upload")
    conn.request("GET", "/chunked")
    r = conn.getresponse()
    check(r.getheader("transfer-encoding") == "chunked" and r.read() == b"part 1;part 2;part 3;part 4;part 5;",
          name + " chunked response")
    conn.request("HEAD", "/hello")
    r = conn.getresponse()
    check(r.status == 200 and r.read() == b"", name + " HEAD")
    conn.request("GET", "/nothing")
    r = conn.getresponse()
    check(r.status == 404 and b"/nothing" in r.read(), name + " 404")
    conn.close()


def raw(request, port=None, pace=None):
    s = socket.create_connection(("127.0.0.1", port or PORT), timeout=10)
    if pace:
        for i in range(0, len(request), pace):
            s.sendall(request[i:i + pace])
            time.sleep(0.01)
    else:
        s.sendall(request)
    data = b""
    try:
        while True:
            more = s.recv(65536)
            if not more:
                break
            data += more
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return data


def status(data):
    line = data.split(b"\r\n", 1)[0]
    return line.decode(errors="replace")


def malformed():
    check(status(raw(b"GARBAGE\r\n\r\n")).startswith("HTTP/1.1 400"), "garbage request line: 400")
    check(status(raw(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n")).startswith("HTTP/1.1 505"), "HTTP/2.0: 505")
    check(status(raw(b"GET / HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n")).startswith("HTTP/1.1 413"),
          "20 KB header: 413")
    check(status(raw(b"GET / HTTP/1.1\r\n" + b"X: a\r\n" * 2000)).startswith("HTTP/1.1 413"),
          "12 KB of header lines without a blank line: 413")
    check(status(raw(b"GET / HTTP/1.1\r\nbad header line\r\n\r\n")).startswith("HTTP/1.1 400"),
          "header line without a colon: 400")
    check(status(raw(b"POST /echo HTTP/1.1\r\nContent-Length: -5\r\n\r\n")).startswith("HTTP/1.1 400"),
          "negative content-length: 400")
    check(status(raw(b"POST /echo HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")).startswith("HTTP/1.1 400"),
          "two content-lengths: 400")
    check(status(raw(b"POST /echo HTTP/1.1\r\nContent-Length: 70000\r\n\r\n")).startswith("HTTP/1.1 413"),
          "content-length over the body limit: 413")
    big = b"".join(b"4000\r\n" + b"z" * 0x4000 + b"\r\n" for _ in range(5)) + b"0\r\n\r\n"
    check(status(raw(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + big)).startswith("HTTP/1.1 413"),
          "chunked body over the body limit: 413")
    check(status(raw(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")).startswith("HTTP/1.1 501"),
          "transfer-encoding gzip: 501")
    check(raw(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n") == b"",
          "bad chunk size: connection closed")
    check(raw(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 500) == b"",
          "endless chunk size line: connection closed")
    check(raw(b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n") == b"",
          "chunk without its CRLF: connection closed")
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    s.sendall(b"POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly a part")
    s.close()
    check(raw(b"GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n").endswith(b"hello world\n"),
          "a client leaving mid-body, then the next one is served")
    slow = raw(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", pace=3)
    check(slow.endswith(b"hello world\n"), "a slow client sending 3 bytes at a time is served")
    check(raw(b"GET /hello HTTP/1.1\r\n\r\n", port=SPORT) == b"", "plain HTTP on the TLS port: closed")
    check(raw(os.urandom(3000), port=SPORT) == b"", "random bytes on the TLS port: closed")


session(http.client.HTTPConnection("127.0.0.1", PORT, timeout=10), "http")
ctx = ssl.create_default_context(cafile=CERT)
session(http.client.HTTPSConnection("localhost", SPORT, timeout=10, context=ctx), "https")
malformed()
session(http.client.HTTPConnection("127.0.0.1", PORT, timeout=10), "http after the bad requests")
session(http.client.HTTPSConnection("localhost", SPORT, timeout=10, context=ctx), "https after the bad requests")
print("ALL OK")
