#!/usr/bin/env bash
# bson against a peer we did not write: pymongo's bson (Debian's
# python3-bson, through /usr/bin/python3 since the python3 on PATH may be
# another).  test/bson/peer.py writes its documents, a node running
# test/lua/bson_peer_main.lua compares them with its own bytes and values
# and relays them back, then peer.py checks the node's documents.
source "$(dirname "$0")/core_lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import bson.binary' 2>/dev/null ||
	fail "pymongo's bson is not installed (python3-bson: run 'make deps', 3rd/install-deps.sh)"

"$PY" test/bson/peer.py write "$SCRATCH" || fail "peer.py could not write its documents"
node_config "$SCRATCH/node.config" bson_peer_main <<CONFIG
bson_dir = "$SCRATCH"
CONFIG
start_node "$SCRATCH/node.config" "$SCRATCH/node.log"
wait_exit "$NODE_PID" 60 || fail "the node did not finish within 60 s"
cat "$SCRATCH/node.log"
grep -q 'TEST PASS' "$SCRATCH/node.log" || fail "the Lua side failed"
"$PY" test/bson/peer.py check "$SCRATCH" || fail "pymongo disagrees with our documents"
echo PASS
