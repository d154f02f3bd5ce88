#!/usr/bin/env bash
# The system packages the test suite needs, installed the same way for `make test` and CI:
# Debian's chromium (the browser tests drive it through Playwright's executable_path; no
# browser download) and prometheus (the /metrics test scrapes with a real server).
# Does nothing when both are already there.
set -euo pipefail
if command -v chromium >/dev/null && command -v prometheus >/dev/null; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "system-deps: need chromium and prometheus on PATH (no apt-get here to install them)" >&2
    exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "system-deps: installing chromium and prometheus with apt-get" >&2
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium prometheus >/dev/null
