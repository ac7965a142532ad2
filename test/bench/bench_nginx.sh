#!/usr/bin/env bash
# A scale for the HTTP figure of test/bench_http.sh, reported and never
# failing: a bare nginx (2 worker processes, as our node has 2 worker
# threads) answering "hello world\n" to keep-alive GETs, driven by the same
# `wrk -t2 -c50`, client and server sharing the machine.  Debian's nginx
# package starts a system service when installed, so it is not in
# 3rd/install-deps.sh: this uses an nginx binary already on the machine
# (apt-get install nginx), only through its binary, with its own config,
# prefix and a free port, and skips when there is none.
# Prints the median of RUNS runs (default 3).
# Usage: test/bench/bench_nginx.sh   (SECONDS_PER_RUN and RUNS override)
cd "$(dirname "$0")/../.." || exit 0
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
source test/bench/medians.sh

nginx=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$nginx" ] || ! command -v wrk >/dev/null; then
	echo "bench_nginx: no nginx binary or no wrk (apt-get install nginx wrk); no nginx reference figure"
	exit 0
fi
dir=$(mktemp -d)
port=$(python3 test/free_port.py)
cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $dir/body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$port;
		location / { default_type text/plain; return 200 "hello world\n"; }
	}
}
CONF
"$nginx" -p "$dir" -c "$dir/nginx.conf" 2>>"$dir/error.log" &
nginx_pid=$!
trap 'kill -TERM "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do
	curl -s "http://127.0.0.1:$port/" 2>/dev/null | grep -q hello && break
	sleep 0.1
done
if ! curl -s "http://127.0.0.1:$port/" | grep -q hello; then
	echo "bench_nginx: nginx did not answer:"
	sed 's/^/    /' "$dir/error.log"
	exit 0
fi
values=$out/nginx_gets_per_s.values
rm -f "$values"
for _ in $(seq "$RUNS"); do
	wrk -t2 -c50 -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$port/" 2>/dev/null |
		awk '/^Requests\/sec:/ { printf "%.0f\n", $2 }' >>"$values"
done
print_figures "nginx reference" "nginx_gets_per_s|bare nginx GETs/s (wrk -t2 -c50, 2 workers)"
exit 0
