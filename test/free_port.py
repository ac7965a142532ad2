"""Prints N (default 1) TCP ports on 127.0.0.1 that are free right now, one
per line: every test asks for its own, so tests can run side by side."""
import socket
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
socks = []
for _ in range(count):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
