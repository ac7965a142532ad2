"""Drives test/lua/ws_serve.lua with Debian's python3-websockets (a
WebSocket implementation that is not ours) and with hand-made bad frames.
Usage: ws_client.py WS_PORT WSS_PORT UPGRADE_PORT CERTFILE
Prints one line per check; exits 1 on the first failure."""
import asyncio
import base64
import os
import socket
import ssl
import struct
import sys

import websockets

WS, WSS, UPGRADE, CERT = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


def check(cond, what):
    if not cond:
        print("FAIL", what)
        sys.exit(1)
    print("ok", what)


async def echo_checks(url, **kw):
    async with websockets.connect(url, max_size=None, **kw) as ws:
        await ws.send("hello")
        check(await ws.recv() == "hello", url + " text echo")
        await ws.send(b"\x00\x01\xffbin")
        check(await ws.recv() == b"\x00\x01\xffbin", url + " binary echo")
        await ws.send("h\u00e9llo \u4e16\u754c")
        check(await ws.recv() == "h\u00e9llo \u4e16\u754c", url + " utf-8 text echo")
        big = os.urandom(200 * 1024)
        await ws.send(big)
        check(await ws.recv() == big, url + " 200 KB binary echo (64-bit length)")
        mid = "x" * 1000
        await ws.send(mid)
        check(await ws.recv() == mid, url + " 1000 B text echo (16-bit length)")
        await ws.send(["frag", "men", "ted"])
        check(await ws.recv() == "fragmented", url + " fragmented message reassembled")
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)
        check(True, url + " ping answered by a pong")
        await ws.send("ping-me")
        await ws.send("after ping")
        check(await ws.recv() == "after ping", url + " server ping answered")
        await ws.close(1000, "done")
        check(ws.close_code == 1000, url + " closing handshake (1000)")


async def server_close():
    async with websockets.connect("ws://127.0.0.1:%d/" % WS) as ws:
        await ws.send("close-me")
        try:
            await ws.recv()
        except websockets.ConnectionClosed as e:
            check(e.rcvd.code == 4000 and e.rcvd.reason == "bye", "server close 4000 bye")
            return
        check(False, "server close")


async def too_big():
    async with websockets.connect("ws://127.0.0.1:%d/" % WS, max_size=None) as ws:
        await ws.send(b"x" * (300 * 1024))
        try:
            await ws.recv()
        except websockets.ConnectionClosed as e:
            check(e.rcvd is not None and e.rcvd.code == 1009, "300 KB frame closed with 1009")
            return
        check(False, "300 KB frame refused")


def raw_connect(port, key=None, version="13"):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = key or base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /raw HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: %s\r\n\r\n" % (key, version)).encode())
    return s


def read_reply(s):
    data = b""
    while b"\r\n\r\n" not in data:
        more = s.recv(4096)
        if not more:
            break
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode(errors="replace"), rest


def read_all(s, rest=b""):
    data = rest
    try:
        while True:
            more = s.recv(65536)
            if not more:
                break
            data += more
    except socket.timeout:
        return data, False
    return data, True


def frame(op, payload, masked=True, fin=True, rsv=0, length=None):
    b1 = (0x80 if fin else 0) | rsv | op
    n = len(payload) if length is None else length
    m = 0x80 if masked else 0
    if n < 126:
        head = struct.pack("BB", b1, m | n)
    elif n <= 0xFFFF:
        head = struct.pack(">BBH", b1, m | 126, n)
    else:
        head = struct.pack(">BBQ", b1, m | 127, n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


def close_code(data):
    # the server's close frame: unmasked, 2-byte code first
    if len(data) < 4 or data[0] != 0x88:
        return None
    return struct.unpack(">H", data[2:4])[0]


def bad_frame(name, payload_frames, want):
    s = raw_connect(WS)
    head, rest = read_reply(s)
    check(head.startswith("HTTP/1.1 101"), name + ": handshake")
    for f in payload_frames:
        s.sendall(f)
    data, closed = read_all(s, rest)
    s.close()
    check(closed and close_code(data) == want, "%s: closed with %s (got %s)" % (name, want, close_code(data)))


def bad_handshakes():
    s = raw_connect(WS, key="c2hvcnQ=")
    head, _ = read_reply(s)
    s.close()
    check(head.startswith("HTTP/1.1 400"), "short Sec-WebSocket-Key: 400")
    s = raw_connect(WS, version="8")
    head, _ = read_reply(s)
    s.close()
    check(head.startswith("HTTP/1.1 426") and "13" in head, "version 8: 426 with Sec-WebSocket-Version 13")
    s = socket.create_connection(("127.0.0.1", WS), timeout=5)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _ = read_reply(s)
    s.close()
    check(head.startswith("HTTP/1.1 400"), "POST instead of GET: 400")
    s = socket.create_connection(("127.0.0.1", WS), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\n" + b"X-Junk: " + b"a" * 20000 + b"\r\n\r\n")
    head, _ = read_reply(s)
    s.close()
    check(head.startswith("HTTP/1.1 413"), "20 KB header: 413")


async def main():
    await echo_checks("ws://127.0.0.1:%d/echo" % WS)
    ctx = ssl.create_default_context(cafile=CERT)
    await echo_checks("wss://localhost:%d/echo" % WSS, ssl=ctx)
    await echo_checks("ws://127.0.0.1:%d/ws" % UPGRADE)
    await server_close()
    await too_big()
    bad_frame("unmasked frame", [frame(1, b"hi", masked=False)], 1002)
    bad_frame("reserved bit", [frame(1, b"hi", rsv=0x40)], 1002)
    bad_frame("unknown opcode 3", [frame(3, b"hi")], 1002)
    bad_frame("ping of 126 bytes", [frame(9, b"p" * 126)], 1002)
    bad_frame("fragmented ping", [frame(9, b"p", fin=False)], 1002)
    bad_frame("continuation first", [frame(0, b"x")], 1002)
    bad_frame("text inside a fragmented message", [frame(1, b"a", fin=False), frame(1, b"b")], 1002)
    bad_frame("invalid UTF-8 text", [frame(1, b"\xc3\x28")], 1007)
    bad_frame("close code 1005", [frame(8, struct.pack(">H", 1005))], 1002)
    bad_frame("close with one byte", [frame(8, b"\x03")], 1002)
    bad_frame("2^40 byte length", [frame(2, b"", length=1 << 40)], 1009)
    bad_frame("clean close 1000", [frame(8, struct.pack(">H", 1000) + b"bye")], 1000)
    bad_handshakes()
    await echo_checks("ws://127.0.0.1:%d/again" % WS)
    print("ALL OK")


asyncio.run(main())
