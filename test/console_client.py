"""A debug console client for the tests.

As a program:  python3 test/console_client.py PORT COMMAND...
runs each command in one session and prints every answer line, the
answer's last line being <CMD OK> or <CMD Error>; exit status 1 if the
console could not be reached.

As a module:   from console_client import Console
"""
import socket
import sys
import time


class Console:
    def __init__(self, port, host="127.0.0.1", timeout=10, banner=True):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=timeout)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""
        self.banner = self.read_line() if banner else None

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("console closed the connection")
        self.buf += chunk

    def read_until(self, token):
        """Bytes up to and including token (bytes or str)."""
        if isinstance(token, str):
            token = token.encode()
        while token not in self.buf:
            self._fill()
        i = self.buf.index(token) + len(token)
        data, self.buf = self.buf[:i], self.buf[i:]
        return data.decode(errors="replace")

    def read_line(self):
        return self.read_until(b"\n").rstrip("\r\n")

    def read_all(self):
        """Everything until the console closes the connection."""
        try:
            while True:
                self._fill()
        except EOFError:
            pass
        data, self.buf = self.buf, b""
        return data.decode(errors="replace")

    def answer(self):
        """(lines, status) of the next answer; status is "OK" or "Error"."""
        lines = []
        while True:
            line = self.read_line()
            if line in ("<CMD OK>", "<CMD Error>"):
                return lines, line[5:-1]
            lines.append(line)

    def cmd(self, line):
        self.send(line + "\n")
        return self.answer()

    def close(self):
        self.sock.close()


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: console_client.py PORT COMMAND...")
    try:
        con = Console(int(sys.argv[1]))
    except OSError as e:
        sys.exit("can't connect: %s" % e)
    for command in sys.argv[2:]:
        lines, status = con.cmd(command)
        for line in lines:
            print(line)
        print("<CMD %s>" % status)
    con.close()


if __name__ == "__main__":
    main()
