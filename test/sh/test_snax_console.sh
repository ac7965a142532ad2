#!/usr/bin/env bash
# The debug console's `snax` command starts a real snax service (init runs
# with the arguments) that then serves; an unknown snax name answers Failed.
cd "$(dirname "$0")/../.." || exit 1
. test/console/node.sh
PORT=$(python3 test/free_port.py)
start_node $PORT 'snax = root .. "test/snax/?.lua"'

python3 - "$PORT" <<'EOF_PY' || fail "snax console command"
import re, sys
sys.path.insert(0, "test")
from console_client import Console

con = Console(int(sys.argv[1]))
def run(line, status="OK"):
    lines, st = con.cmd(line)
    text = "\n".join(lines)
    assert st == status, "%r answered %s:\n%s" % (line, st, text)
    return text

text = run("snax pingsvc 0 from console")
m = re.match(r"^(:[0-9a-f]{8})\tpingsvc 0 from console$", text)
assert m, text
addr = m.group(1)
text = run("list")
assert re.search(r"^%s\tsnlua snaxd pingsvc$" % addr, text, re.M), text
# init ran with the arguments: response.whoami answers them (method ids:
# 4 system methods, then the file's methods in order: ping, count, hello,
# error, whoami)
text = run('call %s 9' % addr)
assert text == '1\t%d\n2\t"pingsvc"\n3\t"from console"\nn\t3' % int(addr[1:], 16), text
text = run('call %s 5, "pong"' % addr)
assert text == '1\t"pong"\nn\t1', text
text = run("info %s" % addr)
assert re.search(r"^ping\t", text, re.M), text
text = run("snax no_such_snax", "Error")
assert text.startswith("Failed: ") and "no_such_snax" in text, text
con.close()
EOF_PY
grep -q "LAUNCH snlua snaxd pingsvc" "$NODE_LOG" || fail "no snaxd launched"
echo "snax console ok"
