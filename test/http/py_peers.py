"""Peers for the httpc and websocket client tests, written with Python's
http.server, ssl and Debian's python3-websockets (none of them ours).
Usage: py_peers.py HTTP_PORT HTTPS_PORT WS_PORT WSS_PORT CERTFILE KEYFILE
Prints READY once every port listens; runs until killed."""
import asyncio
import http.server
import ssl
import sys
import threading
import time

import websockets

HTTP, HTTPS, WS, WSS = (int(p) for p in sys.argv[1:5])
CERT, KEY = sys.argv[5], sys.argv[6]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_body(self, body, ctype="text/plain"):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_chunked(self, parts, trailer=None):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for p in parts:
            self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(p), p))
        self.wfile.write(b"0\r\n" + (trailer or b"") + b"\r\n")

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path
        if path == "/hello":
            self.send_body(b"hello from python")
        elif path == "/chunked":
            self.send_chunked([b"one,", b"two,", b"three"], b"X-Trailer: yes\r\n")
        elif path == "/stream":
            self.send_chunked([b"piece%d;" % i for i in range(10)])
        elif path == "/close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until the end")
            self.close_connection = True
        elif path == "/big":
            self.send_body(bytes(range(256)) * 4096, "application/octet-stream")
        elif path == "/headers":
            lines = sorted("%s=%s" % (k.lower(), v) for k, v in self.headers.items())
            self.send_body("\n".join(lines).encode())
        elif path == "/slow":
            time.sleep(5)
            self.send_body(b"late")
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def do_POST(self):
        body = self.read_body()
        te = self.headers.get("Transfer-Encoding", "none")
        self.send_response(200)
        self.send_header("X-Transfer-Encoding", te)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve_http(port, tls):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(CERT, KEY)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()


async def ws_handler(ws, path=None):
    async for msg in ws:
        if msg == "fragment":
            await ws.send(["ab", "cd", "ef"])
        elif msg == "ping":
            pong = await ws.ping(b"from python")
            await asyncio.wait_for(pong, 5)
            await ws.send("pinged")
        elif msg == "close":
            await ws.close(4001, "py bye")
        elif msg == "path":
            await ws.send(ws.path)
        else:
            await ws.send(msg)


async def main():
    serve_http(HTTP, False)
    serve_http(HTTPS, True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    async with websockets.serve(ws_handler, "127.0.0.1", WS), \
            websockets.serve(ws_handler, "127.0.0.1", WSS, ssl=ctx):
        print("READY", flush=True)
        await asyncio.Future()


asyncio.run(main())
