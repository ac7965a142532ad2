#!/usr/bin/env bash
# A trace tag crosses a cluster: node ta traces a request that calls
# "@hop" on node tb (once small, once in parts); ta's clustersender logs
# the cluster tag "(ta's nodename-tb-session)tag", tb's clusteragent passes
# it on with skynet.tracecall and the hop sees it as its own tag.
. "$(dirname "$0")/core_lib.sh"

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}
PB=$(free_port)
cat >"$SCRATCH/nodes.lua" <<NODES
tb = "127.0.0.1:$PB"
NODES
node_config "$SCRATCH/b.lua" trace_cluster <<CONF
cluster = "$SCRATCH/nodes.lua"
cluster_self = "tb"
CONF
node_config "$SCRATCH/a.lua" trace_cluster <<CONF
cluster = "$SCRATCH/nodes.lua"
cluster_self = "ta"
CONF
start_node "$SCRATCH/b.lua" "$SCRATCH/b.log"
wait_for_text "$SCRATCH/b.log" "trace node ready" 20 || fail "node tb did not start: $(cat "$SCRATCH/b.log")"
start_node "$SCRATCH/a.lua" "$SCRATCH/a.log"
wait_for_text "$SCRATCH/a.log" "TAGS " 20 || fail "no answer: $(cat "$SCRATCH/a.log")"
# both of tb's requests end (its log may trail ta's answer)
for _ in $(seq 50); do
	[ "$(grep -c "tracecall end" "$SCRATCH/b.log")" -ge 2 ] && break
	sleep 0.1
done

python3 - "$SCRATCH/a.log" "$SCRATCH/b.log" <<'PY' || { cat "$SCRATCH/a.log" "$SCRATCH/b.log"; fail "trace lines"; }
import re, sys
a, b = open(sys.argv[1]).read(), open(sys.argv[2]).read()
mine, small, big = re.search(r"^TAGS (\S+) (\S+) (\S+)$", a, re.M).groups()
assert re.fullmatch(r":[0-9a-f]{8}-1", mine), mine
sessions = []
for tag in (small, big):
    m = re.fullmatch(r"\((.+)-tb-(\d+)\)" + re.escape(mine), tag)
    assert m, "the hop saw %s" % tag
    sessions.append(int(m.group(2)))
    # ta: the sender names the cluster tag under the local one, then sends it
    assert re.search(r"<TRACE %s> \d+ session %s$" % (re.escape(mine), re.escape(tag)), a, re.M), "no session line for " + tag
    assert re.search(r"<TRACE %s> \d+ cluster tb$" % re.escape(tag), a, re.M), "no cluster line for " + tag
    # tb: the agent's tracecall around the hop's request
    got = re.findall(r"<TRACE %s> \d+ (\S+(?: \S+)?)" % re.escape(tag), b)
    assert got == ["tracecall begin", "request", "sleep :", "resume", "response", "end", "tracecall end"], got
assert sessions[0] != sessions[1], sessions
PY
echo PASS
