#!/usr/bin/env bash
# Every debug console command once, over a real TCP connection, with the
# answer a user would check; and the HTTP form of a command.
cd "$(dirname "$0")/../.." || exit 1
. test/console/node.sh
PORT=$(python3 test/free_port.py)
start_node $PORT 'logpath = "@DIR@"'

python3 - "$PORT" "$NODE_DIR" <<'EOF' || fail "console commands"
import os, re, sys, time
sys.path.insert(0, "test")
from console_client import Console

port, node_dir = int(sys.argv[1]), sys.argv[2]
con = Console(port)
assert con.banner == "Welcome to skynet console", con.banner

def run(line, status="OK"):
    lines, st = con.cmd(line)
    text = "\n".join(lines)
    assert st == status, "%r answered %s, want %s:\n%s" % (line, st, status, text)
    return text

def has(text, pattern, what):
    assert re.search(pattern, text, re.M), "%s: no /%s/ in:\n%s" % (what, pattern, text)

# help names every command
text = run("help")
for name in ("help list stat info exit kill mem gc start snax service task killtask "
             "uniqtask inject logon logoff log signal cmem jmem ping call trace netstat "
             "profactive dumpheap getenv setenv clearcache debug").split():
    has(text, r"^%s\t" % name, "help")

text = run("list")
has(text, r"^:[0-9a-f]{8}\tsnlua console_echo$", "list")
has(text, r"^:[0-9a-f]{8}\tsnlua debug_console %d$" % port, "list")
echo = re.search(r"^(:[0-9a-f]{8})\tsnlua console_echo$", text, re.M).group(1)

text = run("stat")
has(text, r"^%s\t.*task:\d+" % echo, "stat")
has(text, r"mqlen:\d+", "stat")
# stat TIMEOUT: the launcher waits that many centiseconds for the services
busy = Console(port)
busy.send('call .echo "busy", 1500\n')
time.sleep(0.2)
started = time.time()
text = run("stat 20")
took = time.time() - started
has(text, r"^%s\tTIMEOUT" % echo, "stat 20 of a busy service")
assert took < 0.9, "stat 20 took %.2f s" % took
text = run("mem 0")  # no limit: waits until the busy service answers
assert "TIMEOUT" not in text, text
has(text, r"^%s\t[\d.]+ Kb" % echo, "mem 0")
assert time.time() - started > 1.0, "mem 0 did not wait for the busy service"
busy.close()

text = run("mem")
has(text, r"^%s\t[\d.]+ Kb" % echo, "mem")
text = run("gc")
has(text, r"^%s\t" % echo, "gc")

# call: Lua literals in, returned values shown as Lua literals
text = run('call .echo "ping"')
assert text == '1\t"pong"\nn\t1', text
text = run('call %s "echo", {a=1, b={2, 3}}, "s", nil, 4.5' % echo)
assert text == '1\t{a=1,b={2,3}}\n2\t"s"\n3\tnil\n4\t4.5\nn\t4', text

has(run("ping .echo"), r"^\d+$", "ping")
has(run("ping " + echo[1:]), r"^\d+$", "ping without colon")

run('call .echo "add", 1, 2')
text = run("info .echo probe")
assert text == "hits\t1\nwhat\tprobe", text

# task lists the parked coroutines; killtask kills one by name
run('call .echo "park", 2')
text = run("task .echo")
tasks = re.findall(r"^(\S[^\t]*)\tstack traceback:", text, re.M)
assert len(tasks) == 2, text
has(text, r"in function '[a-z.]*sleep'", "task")
text = run("uniqtask .echo")
has(text, r"sleep", "uniqtask")
has(text, r"\tn:2$", "uniqtask: both tasks share one traceback")
assert run("killtask .echo " + tasks[0]) == "Killed " + tasks[0]
text = run("task .echo")
assert len(re.findall(r"\tstack traceback:", text)) == 1, text
assert run("killtask .echo 99999") == "No task 99999"

text = run("inject .echo test/console/inject_probe.lua")
assert text == "injected\tpong", text

# start / kill / exit / log
text = run("start console_idle one two")
m = re.match(r"^(:[0-9a-f]{8})\tconsole_idle one two$", text)
assert m, text
idle = m.group(1)
has(run("list"), r"^%s\tsnlua console_idle one two$" % idle, "list after start")
text = run("kill " + idle)
has(text, r"^%s\t" % idle, "kill")
assert idle not in run("list"), "killed service still listed"

idle2 = run("start console_idle").split("\t")[0]
run("exit " + idle2)
time.sleep(0.2)
assert idle2 not in run("list"), "exited service still listed"

assert run("start no_such_service", status="Error").startswith("Failed: newservice no_such_service failed")
text = run("log console_idle logged")
has(text, r"^:[0-9a-f]{8}\tconsole_idle logged$", "log")

# logon / logoff: the message log of a service in logpath
run("logon .echo")
run('call .echo "ping"')
run("logoff .echo")
logfile = os.path.join(node_dir, "%s.log" % echo[1:])
assert os.path.exists(logfile) and os.path.getsize(logfile) > 0, "no message log " + logfile

run("signal .echo 1")
run("trace .echo on")
run('call .echo "ping"')
run("trace .echo lua off")
run('call .echo "hits"')

text = run("netstat")
has(text, r"LISTEN", "netstat")
has(text, r"127\.0\.0\.1:%d" % port, "netstat")

text = run("getenv console_port")
assert text == "console_port\t%d" % port, text
run("setenv console_test_key hello")
assert run("getenv console_test_key") == "console_test_key\thello"
run("setenv console_test_key again", status="Error")

run("clearcache")
run("service")
text = run("snax no_such_snax", status="Error")
assert text.startswith("Failed: "), text
con.close()

# HTTP: GET /cmd/args runs "cmd args", answers and closes
http = Console(port, banner=False)
http.send("GET /info/.echo/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
text = http.read_all()
assert "Welcome to skynet console" in text and "what\tx" in text and "<CMD OK>" in text, text

# skynet.memory: C memory per service, jemalloc statistics, heap profiling
con = Console(port)
text = run("cmem")
has(text, r"^total\t\d+$", "cmem")
has(text, r"^block\t\d+$", "cmem")
text = run("jmem")
if os.environ.get("SANITIZE") == "1":
    assert text == "No jemalloc statistics: this node runs without jemalloc", text
else:
    has(text, r"^allocated\s+\d+\s+[\d.]+ Mb$", "jmem")

has(run("profactive"), r"^heap profilling is (active|deactive)$", "profactive")
# without MALLOC_CONF=prof:true (or jemalloc) there is no heap profile to dump
lines, st = con.cmd("dumpheap")
assert st == "OK" or (len(lines) == 1 and lines[0].startswith("heap profiling ")), lines

print("commands ok")
EOF
node_alive || fail "node died"
grep -q "Current Memory" "$NODE_LOG" || fail "signal 1 did not reach the service"
grep -q "Turn trace log true for lua" "$NODE_LOG" || fail "trace did not reach the service"
# traceproto on: the one "ping" between on and off starts a tag and ends it
[ "$(grep -cE "<TRACE :[0-9a-f]{8}-1> [0-9]+ trace$" "$NODE_LOG")" = 1 ] || fail "want one traced request"
[ "$(grep -cE "<TRACE :[0-9a-f]{8}-1> [0-9]+ end$" "$NODE_LOG")" = 1 ] || fail "want one traced request's end"
grep -q "Turn trace log false for lua" "$NODE_LOG" || fail "trace off did not reach the service"
[ "$(grep -c "<TRACE " "$NODE_LOG")" = 3 ] || fail "want trace, response, end and no more"
echo PASS
