#!/usr/bin/env bash
# Client programs run by the plain lua5.4 interpreter load client.crypt
# (luaclib/client.so) and md5 (luaclib/md5.so) and compute skynet's values:
# test/lua/crypt_plain.lua runs every check of test/lua/crypt_cases.lua.
cd "$(dirname "$0")/../.." || exit 1
command -v lua5.4 >/dev/null || { echo "FAIL: lua5.4 is not installed (make deps)"; exit 1; }
# a sanitizer build's modules need the sanitizer runtime loaded first
if [ -f build/.mode-sanitize ]; then
	export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
elif [ -f build/.mode-tsan ]; then
	export LD_PRELOAD="$(gcc -print-file-name=libtsan.so)"
fi
out=$(lua5.4 test/lua/crypt_plain.lua 2>&1)
st=$?
echo "$out"
[ $st = 0 ] || { echo "FAIL: crypt_plain.lua exited with $st"; exit 1; }
grep -q "client.crypt OK" <<<"$out" || { echo "FAIL: no OK line"; exit 1; }
