#!/usr/bin/env bash
# Start/stop the benchmark target: nginx with bench/nginx.conf, pinned to CPU 0.
#   bench/nginx.sh start PORT PREFIX   installs nginx if missing, starts it, waits until it answers
#   bench/nginx.sh stop PREFIX         stops the nginx started with that prefix
# PREFIX is a scratch directory (e.g. from mktemp -d); pid file, logs and temp files go there.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NGINX_CPU="${NGINX_CPU:-0}"

find_nginx() {
    command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true
}

ensure_nginx() {
    if [ -z "$(find_nginx)" ]; then
        echo "nginx.sh: nginx not found, installing it with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq nginx >/dev/null
    fi
    [ -n "$(find_nginx)" ] || { echo "nginx.sh: nginx is not installed and could not be" >&2; exit 1; }
}

cmd="${1:-}"
case "$cmd" in
start)
    port="${2:?usage: nginx.sh start PORT PREFIX}"
    prefix="${3:?usage: nginx.sh start PORT PREFIX}"
    ensure_nginx
    mkdir -p "$prefix/logs" "$prefix/tmp"
    sed "s/__PORT__/$port/" "$HERE/nginx.conf" > "$prefix/nginx.conf"
    # The master daemonizes; its worker inherits the CPU affinity set here.
    taskset -c "$NGINX_CPU" "$(find_nginx)" -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log"
    for _ in $(seq 1 50); do
        if python3 - "$port" <<'PY' 2>/dev/null; then exit 0; fi
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
assert s.recv(1024).startswith(b"HTTP/1.1 200")
PY
        sleep 0.1
    done
    echo "nginx.sh: nginx did not answer on 127.0.0.1:$port; see $prefix/logs/error.log" >&2
    exit 1
    ;;
stop)
    prefix="${2:?usage: nginx.sh stop PREFIX}"
    if [ -f "$prefix/nginx.pid" ]; then
        "$(find_nginx)" -p "$prefix/" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" -s quit \
            || kill "$(cat "$prefix/nginx.pid")" || true
        for _ in $(seq 1 50); do [ -f "$prefix/nginx.pid" ] || exit 0; sleep 0.1; done
        echo "nginx.sh: nginx (pid $(cat "$prefix/nginx.pid")) still running after quit" >&2
        exit 1
    fi
    ;;
*)
    echo "usage: nginx.sh start PORT PREFIX | stop PREFIX" >&2
    exit 2
    ;;
esac
