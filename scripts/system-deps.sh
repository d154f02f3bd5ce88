#!/usr/bin/env bash
# The system packages the test suite needs, installed the same way for `make test` and CI:
# Debian's chromium (the browser tests drive it through Playwright's executable_path; no
# browser download), prometheus (the /metrics test scrapes with a real server) and iproute2
# (`ip netns`: the multi-host tests put master, workers and target on separate namespaces).
# Does nothing when both are already there.
set -euo pipefail
if command -v chromium >/dev/null && command -v prometheus >/dev/null && command -v ip >/dev/null; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "system-deps: need chromium, prometheus and ip on PATH (no apt-get here to install them)" >&2
    exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "system-deps: installing chromium, prometheus and iproute2 with apt-get" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium prometheus iproute2 >/dev/null
