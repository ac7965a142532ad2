#!/usr/bin/env bash
# Config files: include (relative to the including file), $NAME from the
# environment, computed values, and unknown keys kept for skynet.getenv.
source "$(dirname "$0")/core_lib.sh"

mkdir -p "$SCRATCH/sub"
cat >"$SCRATCH/main.lua" <<CONF
include "$ROOT/test/config.lua"
override = "sub should not win"
include "sub/other.lua"
override = "main"
thread = \$SKY_THREADS
greeting = "\$SKY_GREETING"
start = "config_main"
answer = 42
ratio = 1.5
flag = true
computed = "a" .. "-" .. "b"
CONF
cat >"$SCRATCH/sub/other.lua" <<'CONF'
sub_key = "from sub"
override = "sub"
include "deeper.lua"
CONF
echo 'deep_key = "deep"' >"$SCRATCH/sub/deeper.lua"

SKY_THREADS=3 SKY_GREETING="hello from env" timeout 20 ./skynet "$SCRATCH/main.lua" >"$SCRATCH/out" 2>&1
st=$?
cat "$SCRATCH/out"
[ $st = 0 ] || fail "node exit status $st"
grep -q "TEST PASS" "$SCRATCH/out" || fail "config_main did not pass"
