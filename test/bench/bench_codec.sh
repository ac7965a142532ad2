#!/usr/bin/env bash
# Codec figures for `make bench`, reported and never failing: sproto encode
# and decode of a typical login message and 0-pack/unpack throughput
# (bench_sproto.lua), crypt sha1 and DES throughput (bench_crypt.lua).
# One node (thread = 2) per run; the median of RUNS runs (default 5).
# Usage: test/bench/bench_codec.sh
source "$(dirname "$0")/medians.sh"

FIGURES=(
	"sproto_login_encode_ns|sproto encode, login message, ns"
	"sproto_login_decode_ns|sproto decode, login message, ns"
	"sproto_login_bytes|  the login message encoded, bytes"
	"sproto_pack_mb_per_s|sproto.pack, 64 KB of login messages, MB/s"
	"sproto_unpack_mb_per_s|sproto.unpack, the same packed, MB/s"
	"sproto_packed_percent|  packed size, % of unpacked"
	"crypt_sha1_mb_per_s|crypt.sha1, 64 KB message, MB/s"
	"crypt_desencode_mb_per_s|crypt.desencode, 64 KB message, MB/s"
	"crypt_desdecode_mb_per_s|crypt.desdecode, 64 KB message, MB/s"
)
clear_figures "${FIGURES[@]}"
runs_of bench_sproto bench_crypt
print_figures "codec figure" "${FIGURES[@]}"
exit 0
