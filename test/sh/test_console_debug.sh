#!/usr/bin/env bash
# The console's interactive debugger: a breakpoint by file and line stops a
# handler while the service goes on; locals are printed and assigned; step
# over, step into, continue; `cont` leaves; a debugging client that leaves
# lets the stopped code go on.
cd "$(dirname "$0")/../.." || exit 1
. test/console/node.sh
PORT=$(python3 test/free_port.py)
start_node $PORT 'console_timeout = 10'
BREAK_LINE=$(grep -n "BREAK HERE" test/console/console_echo.lua | cut -d: -f1)
DISPATCH_LINE=$(grep -n "local f = assert(CMD\[cmd\], cmd)" test/console/console_echo.lua | cut -d: -f1)

python3 - "$PORT" "$BREAK_LINE" "$DISPATCH_LINE" <<'EOF' || fail "debugger"
import re, sys, time
sys.path.insert(0, "test")
from console_client import Console

port, line, dispatch_line = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
dbg = Console(port)
caller = Console(port)
where = "./test/console/console_echo.lua"

echo = re.search(r"^(:[0-9a-f]{8})\tsnlua console_echo$", "\n".join(caller.cmd("list")[0]), re.M).group(1)
idle_prompt = echo + ">"

def expect(prompt, *patterns):
    text = dbg.read_until(prompt)
    for p in patterns:
        assert re.search(p, text, re.M), "no /%s/ in:\n%s" % (p, text)
    return text

def do(line, prompt, *patterns):
    dbg.send(line + "\n")
    return expect(prompt, *patterns)

dbg.send("debug .echo\n")
expect(idle_prompt, r"^Debugging %s, type help" % echo)
do("help", idle_prompt, r"b FILE:LINE", r"cont")
do("b console_echo.lua:%d" % line, idle_prompt, r"^Breakpoint 1 at console_echo.lua:%d" % line)
do("b", idle_prompt, r"^1\tconsole_echo.lua:%d" % line)
do("s", idle_prompt, r"^Not stopped")
do("1 + 1", idle_prompt, r"^Not stopped: Lua code runs only at a breakpoint")

# a call into the handler stops at the breakpoint; the caller waits
caller.send('call .echo "add", 2, 3\n')
stop = "%s(%d)>" % (where, line)
expect(stop, r"^Break at %s:%d" % (re.escape(where), line), r"^%d:\t\s*local sum = a \+ b" % line)

# the service still answers other messages meanwhile
other = Console(port)
assert other.cmd("ping " + echo)[1] == "OK"

do("l", stop, r"^a = 2$", r"^b = 3$")
do("a", stop, r"^2$")
do("a = 40", stop)
do("n", "%s(%d)>" % (where, line + 1), r"^Break at %s:%d" % (re.escape(where), line + 1))
do("sum", "(%d)>" % (line + 1), r"^43$")
do("bt", "(%d)>" % (line + 1), r"console_echo.lua")
do("c", idle_prompt)
lines, st = caller.answer()
assert st == "OK" and lines == ["1\t43", "n\t1"], lines

# an error in the stopped handler is shown; the caller gets an error
caller.send('call .echo "add", 1, 2\n')
expect(stop, r"^Break at")
do("a = {}", stop)
do("c", idle_prompt, r"attempt to perform arithmetic on a table value \(local 'a'\)")
lines, st = caller.answer()
assert st == "Error", lines

# watch: stop at the first line of the next "lua" message, then step into
do("d 1", idle_prompt, r"^Breakpoint 1 deleted")
do("watch lua", idle_prompt, r"^Watching the next lua message")
caller.send('call .echo "add", 1, 1\n')
expect("%s(%d)>" % (where, dispatch_line), r"^Break at")
# step into f(...): a few steps reach CMD.add
for _ in range(10):
    dbg.send("s\n")
    if "(%d)>" % line in expect(">"):
        break
else:
    raise AssertionError("stepping never reached CMD.add")
do("c", idle_prompt)
lines, st = caller.answer()
assert lines == ["1\t2", "n\t1"], lines

dbg.send("cont\n")
text = dbg.read_until("<CMD OK>\n")
assert "Leave debug mode" in text, text
# the console is back to commands, and the service runs freely
lines, st = dbg.cmd('call .echo "add", 5, 5')
assert lines == ["1\t10", "n\t1"], lines

# one debugger at a time; a debugging client that disconnects while
# stopped releases the handler
dbg2 = Console(port)
dbg2.send("debug .echo\n")
dbg2.read_until(idle_prompt)
dbg2.send("b console_echo.lua:%d\n" % line)
dbg2.read_until(idle_prompt)
lines, st = Console(port).cmd("debug .echo")
assert st == "Error" and lines == ["Already in debug mode"], lines
caller.send('call .echo "add", 20, 22\n')
dbg2.read_until(stop)
dbg2.close()
lines, st = caller.answer()
assert lines == ["1\t42", "n\t1"], lines
lines, st = caller.cmd('call .echo "add", 1, 2')
assert lines == ["1\t3", "n\t1"], lines
print("debugger ok")
EOF
node_alive || fail "node died"
grep -q "Enter debug mode" "$NODE_LOG" || fail "no debug mode in the log"
echo PASS
