#!/usr/bin/env bash
# skynet.trace across services: test/lua/trace_main.lua runs its phases
# (a tag through A -> B -> C and back; C with traceproto off; B2 with
# traceproto on; skynet.tracecall with a foreign tag) and this script
# checks each phase's <TRACE> lines in the log, in order, with their tags
# and the caller's source lines.
. "$(dirname "$0")/core_lib.sh"

node_config "$SCRATCH/config.lua" trace_main </dev/null
start_node "$SCRATCH/config.lua" "$SCRATCH/out"
wait_for_text "$SCRATCH/out" "PHASE done" 20 || fail "the phases did not finish: $(cat "$SCRATCH/out")"
grep -q "error" "$SCRATCH/out" && fail "an error in the log: $(cat "$SCRATCH/out")"

python3 - "$SCRATCH/out" <<'PY' || fail "trace lines"
import re, sys
log = open(sys.argv[1]).read()
names = dict((v, k) for k, v in re.findall(r"(\w+)=([0-9a-f]{8})", re.search(r"SERVICES (.*)", log).group(1)))
addr = dict((v, k) for k, v in names.items())

phases, current = {}, None
for line in log.splitlines():
    m = re.match(r"\[:([0-9a-f]{8})\] (.*)$", line)
    if not m:
        continue
    who, text = names.get(m.group(1), m.group(1)), m.group(2)
    if text.startswith("PHASE "):
        current = text[6:]
        phases[current] = []
    elif current and (text.startswith("<TRACE ") or text.startswith("TRACE ")):
        phases[current].append((who, text))

def check(phase, tag, want):
    got = phases[phase]
    seq = []
    last_time = 0
    for who, text in got:
        if text.startswith("TRACE "):
            seq.append((who, text))
            continue
        m = re.match(r"<TRACE (\S+)> (\d+) (.*)$", text)
        assert m, text
        assert m.group(1) == tag, "%s: tag %s, want %s" % (phase, m.group(1), tag)
        t = int(m.group(2))
        assert t >= last_time, "%s: time goes back at %s" % (phase, text)
        last_time = t
        seq.append((who, m.group(3)))
    assert len(seq) == len(want), "%s: got\n%s" % (phase, "\n".join(map(str, seq)))
    for (who, what), (wwho, wwhat) in zip(seq, want):
        assert who == wwho and re.fullmatch(wwhat, what), "%s: %s %r, want %s /%s/" % (phase, who, what, wwho, wwhat)

main, hop, common = r"@\./test/lua/trace_main\.lua:\d+", r"@\./test/lua/trace_hop\.lua:\d+", r"@\./lualib/skynet/common\.lua:\d+"
leaf = [("C", "request"), ("C", "sleep : %s %s %s" % (common, hop, hop)),
        ("C", "resume"), ("C", "response"), ("C", "end")]

check("chain", ":%s-1" % addr["A"], [("A", "TRACE nil"), ("A", "trace chain"), ("A", r"call : %s %s( .*)?" % (main, main)),
      ("B", "request"), ("B", r"call : %s( .*)?" % hop)] + leaf +
      [("B", "resume"), ("B", "response"), ("B", "end"), ("A", "resume"), ("A", "response"), ("A", "end")])
check("off", ":%s-2" % addr["A"], [("A", "TRACE nil"), ("A", "trace off"), ("A", r"call : %s %s( .*)?" % (main, main)),
      ("B", "request"), ("B", r"call : %s( .*)?" % hop),
      ("B", "resume"), ("B", "response"), ("B", "end"), ("A", "resume"), ("A", "response"), ("A", "end")])
check("proto", ":%s-1" % addr["B2"], [("B2", "TRACE nil"), ("B2", "trace"),
      ("B2", r"call : %s( .*)?" % hop)] + leaf + [("B2", "resume"), ("B2", "response"), ("B2", "end")])
check("tracecall", "(remote-here-1):00000042-7", [("A", "tracecall begin")] + leaf + [("A", "tracecall end")])
PY
echo PASS
