#!/usr/bin/env bash
# Client programs run by the plain lua5.4 interpreter load client.crypt
# (luaclib/client.so) and md5 (luaclib/md5.so) and compute skynet's values:
# test/lua/crypt_plain.lua runs every check of test/lua/crypt_cases.lua.
source "$(dirname "$0")/core_lib.sh"
command -v lua5.4 >/dev/null || fail "lua5.4 is not installed (make deps)"
LD_PRELOAD=$(lua_client_preload)
export LD_PRELOAD
out=$(lua5.4 test/lua/crypt_plain.lua 2>&1)
st=$?
echo "$out"
[ $st = 0 ] || { echo "FAIL: crypt_plain.lua exited with $st"; exit 1; }
grep -q "client.crypt OK" <<<"$out" || { echo "FAIL: no OK line"; exit 1; }
