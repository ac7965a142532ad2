#!/usr/bin/env bash
# Bad input on the debug console: each ends in a clear error line, and the
# session, the other sessions and the node go on working.
cd "$(dirname "$0")/../.." || exit 1
. test/console/node.sh
PORT=$(python3 test/free_port.py)
start_node $PORT

python3 - "$PORT" <<'EOF' || fail "bad input"
import os, re, socket, sys, time, threading
sys.path.insert(0, "test")
from console_client import Console

port = int(sys.argv[1])
con = Console(port)

def run(line, status="OK", c=None):
    lines, st = (c or con).cmd(line)
    text = "\n".join(lines)
    assert st == status, "%r answered %s, want %s:\n%s" % (line, st, status, text)
    return text

def alive(c=None):
    assert run('call .echo "ping"', c=c) == '1\t"pong"\nn\t1'

# unknown commands, including garbage bytes
assert run("frobnicate", "Error") == "Invalid command, type help for command list"
con.send(bytes(range(1, 10)) + b"\x00\x80\xfe garbage\n")
lines, st = con.answer()
assert st == "Error" and lines == ["Invalid command, type help for command list"], lines
alive()

# malformed addresses
for line, msg in (("info zz", "Invalid address: zz"),
                  ("info :123456789", "Invalid address: :123456789"),
                  ("info :-1", "Invalid address: :-1"),
                  ("ping .nosuch", "Not a valid name: .nosuch"),
                  ("ping", "Need an address"),
                  ("kill", "Need an address"),
                  ("call", "Need an address"),
                  ("info \x01\x02", "Invalid address: \\x01\\x02")):
    assert run(line, "Error") == msg, (line, run(line, "Error"))

# arguments that are not Lua literals
has_invalid = lambda t: t.startswith("Invalid arguments")
assert has_invalid(run('call .echo "ping",,', "Error"))
assert has_invalid(run('call .echo os.exit()', "Error"))
assert has_invalid(run('call .echo ("x"):rep(1e10)', "Error"))
assert run('call .echo (function() while true do end end)()', "Error") == \
    "Invalid arguments: Arguments too complex"
assert run("call .echo", "Error") == "Need arguments"
assert run("stat soon", "Error") == "Invalid timeout: soon"
alive()

# a call to a service that is gone
idle = run("start console_idle").split("\t")[0]
run("kill " + idle)
err = run('call %s "ping"' % idle, "Error")
assert err == "call to invalid address " + idle, err
run("ping " + idle, "Error")
# a dead or unknown address, a failed start: an error that says why, with
# no source position and no traceback
assert run("kill " + idle, "Error") == "No service " + idle
assert run("kill :00000fff", "Error") == "No service :00000fff"
text = run("start no_such_service", "Error")
assert text.startswith("Failed: newservice no_such_service failed: service no_such_service not found"), text
assert "stack traceback" not in text and ".lua:" not in text.split("\n")[0], text
text = run("info .launcher")
assert text == ":00000003 gave no info (no skynet.info_func, or it returned nil)" or text.endswith("gave no info (no skynet.info_func, or it returned nil)"), text
run("task " + idle, "Error")
alive()

# a service that never answers: the request times out (console_timeout = 1)
t0 = time.time()
err = run('call .hang "anything"', "Error")
took = time.time() - t0
assert re.match(r"Timeout: :[0-9a-f]{8} did not answer within 1s", err), err
assert 0.9 < took < 3, took
alive()

# telnet option negotiation is stripped, even split between packets
con.send(b"\xff\xfb\x18\xff\xfd\x03\xff\xfa\x18\x00xterm\xff\xf0pi")
time.sleep(0.05)
con.send(b"ng .e\xff")
time.sleep(0.05)
con.send(b"\xf1cho\r\n")
lines, st = con.answer()
assert st == "OK" and re.match(r"^\d+$", lines[0]), lines
con.send(b'call .echo "echo", "a\xff\xffb"\r\n')
lines, st = con.answer()
assert st == "OK" and lines[0] == '1\t"a\\255b"', lines

# lines over 64 KB are rejected, the session goes on
con.send(b"x" * 70000 + b"\n")
lines, st = con.answer()
assert st == "Error" and lines == ["Line too long (more than 65536 bytes), ignored"], lines
alive()
# ... also when the line comes in pieces, with its end much later
for _ in range(20):
    con.send(b"y" * 5000)
    time.sleep(0.01)
lines, st = con.answer()
assert st == "Error" and lines[0].startswith("Line too long"), lines
con.send(b"tail of the long line\nping .echo\n")
lines, st = con.answer()
assert st == "OK", lines
alive()

# many commands in one packet are answered in order
con.send(b"".join(b'call .echo "echo", %d\n' % i for i in range(300)))
for i in range(300):
    lines, st = con.answer()
    assert st == "OK" and lines[0] == "1\t%d" % i, (i, lines)

# two sessions at once: one waits on a service that never answers, the
# other is answered meanwhile
other = Console(port)
con.send('call .hang "wait"\n')
t0 = time.time()
alive(other)
assert time.time() - t0 < 0.8, "second session was held up"
lines, st = con.answer()
assert st == "Error" and lines[0].startswith("Timeout"), lines

# a client that leaves in the middle of a long answer (3 MB)
quitter = Console(port)
quitter.send('call .echo "big", 3000000\n')
quitter.read_until(b'1\t"xxxxxxxx')
quitter.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
quitter.close()
time.sleep(0.5)
alive(other)
alive()

# a client that leaves without a word, and one that sends half a line
Console(port).close()
half = Console(port)
half.send(b"lis")
half.close()
time.sleep(0.2)
alive(other)
print("bad input ok")
EOF
node_alive || fail "node died"
grep -qE "disconnect" "$NODE_LOG" || fail "no disconnect line in the log"
echo PASS
