#!/usr/bin/env bash
# The debug console against the ways in that do not come from a person at a
# terminal: a browser's POST carrying commands in its body, GET of a command
# that changes something, a Host that is a DNS name (rebinding), HTTP
# headers inside a session; `debug` running code while not stopped; a
# `call` literal that builds a huge string; and console_token.
cd "$(dirname "$0")/../.." || exit 1
. test/console/node.sh
PORT=$(python3 test/free_port.py)
start_node "$PORT"
MARK=$NODE_DIR/pwned

# the attack from the issue: one HTTP POST whose body is console commands
ECHO=$(curl -s --http0.9 "http://127.0.0.1:$PORT/list" | grep -oE '^:[0-9a-f]{8}	snlua console_echo$' | cut -f1)
[ -n "$ECHO" ] || fail "GET /list did not list console_echo"
curl -s --http0.9 --max-time 5 --data-binary "debug $ECHO
os.execute(\"touch $MARK\")
cont
" "http://127.0.0.1:$PORT/" >"$NODE_DIR/post.out"
sleep 0.5
[ -e "$MARK" ] && fail "an HTTP POST ran a shell command"
grep -q "^Forbidden: method POST (only GET)" "$NODE_DIR/post.out" || fail "POST not refused: $(cat "$NODE_DIR/post.out")"

python3 - "$PORT" "$ECHO" "$MARK" <<'EOF' || fail "console security"
import os, sys, time
sys.path.insert(0, "test")
from console_client import Console

port, echo, mark = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def http(request):
    con = Console(port)
    con.send(request)
    return con.read_all()

# GET runs read-only commands only
text = http("GET /ping/%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (echo, port))
assert "<CMD OK>" in text, text
for path in ("/call/.echo/%22ping%22", "/start/console_echo", "/kill/" + echo,
             "/inject/%s/x.lua" % echo, "/debug/" + echo, "/setenv/a/b", "/gc"):
    text = http("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path)
    assert "Forbidden: command" in text and "<CMD OK>" not in text, (path, text)
# any other method, and PUT/OPTIONS/DELETE with a body of commands
for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
    text = http("%s / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 8\r\n\r\nlist\ngc\n" % method)
    assert "Forbidden: method" in text and "<CMD OK>" not in text, (method, text)
# a DNS name in Host: a page that rebinds its name to 127.0.0.1
text = http("GET /list HTTP/1.1\r\nHost: attacker.example:%d\r\n\r\n" % port)
assert "Forbidden: Host" in text and "<CMD OK>" not in text, text
text = http("GET /list HTTP/1.1\r\nHost: [::1]:%d\r\n\r\n" % port)
assert "<CMD OK>" in text, text

# a header line in a session closes it: nothing after it runs
con = Console(port)
con.send("Content-Type: text/plain\ngc\n")
text = con.read_all()
assert "Forbidden: header line" in text and "<CMD OK>" not in text, text

# debug: Lua code runs only at a breakpoint
con = Console(port)
con.send("debug %s\n" % echo)
con.read_until("%s>" % echo)
con.send('os.execute("touch %s")\n' % mark)
text = con.read_until("%s>" % echo)
assert "Not stopped: Lua code runs only at a breakpoint" in text, text
con.send("cont\n")
con.answer()
time.sleep(0.3)
assert not os.path.exists(mark), "debug ran code while not stopped"

# a literal that doubles a string until memory runs out fails at once
bomb = 'call %s (function() local a = "x" for i = 1, 64 do a = a .. a end return a end)()' % echo
started = time.time()
lines, st = con.cmd(bomb)
assert st == "Error" and lines == ["Invalid arguments: Arguments too large"], lines
assert time.time() - started < 2, "the bomb took %.1fs" % (time.time() - started)
lines, st = con.cmd('call %s (function() local t = {} for i = 1, 1e9 do t[i] = i end end)()' % echo)
assert st == "Error" and lines[0].startswith("Invalid arguments: Arguments too"), lines
lines, st = con.cmd('call %s "echo", {1, "two", x = {3}}, 2^53' % echo)
assert st == "OK" and lines[0] == '1\t{1,"two",x={3}}', lines
EOF
node_alive || fail "node died"
RSS=$(awk '/VmHWM/ {print $2}' /proc/$NODE_PID/status)
[ "$RSS" -lt 400000 ] || fail "peak RSS ${RSS} kB: the literal bomb was not bounded"
grep -q "HTTP request refused: method POST" "$NODE_LOG" || fail "refused POST not logged"
stop_node

# console_token: every session starts with "auth TOKEN"
PORT=$(python3 test/free_port.py)
start_node "$PORT" 'console_token = "s3cret-t0ken"'
python3 - "$PORT" <<'EOF' || fail "console token"
import sys
sys.path.insert(0, "test")
from console_client import Console
port = int(sys.argv[1])

def session_ends(first, expect):
    con = Console(port)
    con.send(first + "\nlist\n")
    text = con.read_all()
    assert expect in text and "<CMD OK>" not in text, (first, text)

session_ends("list", "This console needs a token first: auth TOKEN")
session_ends("auth wrong", "Wrong token")
session_ends("auth s3cret-t0kem", "Wrong token")

con = Console(port)
lines, st = con.cmd("auth s3cret-t0ken")
assert st == "OK", lines
lines, st = con.cmd("list")
assert st == "OK" and any("snlua console_echo" in l for l in lines), lines
lines, st = con.cmd("getenv console_token")
assert st == "Error" and lines == ["console_token is secret"], lines

def http(path, header=""):
    con = Console(port)
    con.send("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (path, header))
    return con.read_all()

text = http("/list")
assert "Forbidden: no valid console token" in text and "<CMD OK>" not in text, text
text = http("/list?token=nope")
assert "Forbidden: no valid console token" in text, text
text = http("/list?token=s3cret-t0ken")
assert "<CMD OK>" in text and "console_echo" in text, text
text = http("/list?a=1&token=s3cret%2Dt0ken")
assert "<CMD OK>" in text, text
text = http("/list", "Authorization: Bearer s3cret-t0ken\r\n")
assert "<CMD OK>" in text, text
text = http("/list", "Authorization: Bearer s3cret\r\n")
assert "Forbidden" in text, text
EOF
grep -q "console session refused: wrong or missing token" "$NODE_LOG" || fail "refused session not logged"
stop_node
echo PASS
