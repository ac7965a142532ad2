"""What the network shell tests use to drive a node from Python: TCP
connections, the gate's framing (a 2-byte big-endian length, then the
bytes) and what /proc says about the node."""
import os
import socket
import struct


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def reset(s):
    """Closes with RST instead of FIN."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def pack(data):
    """One gate packet of data (bytes, or text sent as UTF-8)."""
    if isinstance(data, str):
        data = data.encode()
    return struct.pack(">H", len(data)) + data


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def reply(s):
    """The next gate packet, as text."""
    n = struct.unpack(">H", recv_exact(s, 2))[0]
    return recv_exact(s, n).decode()


def ask(s, text):
    s.sendall(pack(text))
    return reply(s)


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
