#!/usr/bin/env bash
# Create bench/.locust-venv with Locust (the comparison baseline) if it is missing.
# Locust lives in its own venv so it never touches fastswarm's dependencies.
# Usage: bench/setup_locust.sh            (idempotent; safe to run before every `make bench`)
set -euo pipefail

LOCUST_SPEC="${LOCUST_SPEC:-locust==2.47.*}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.locust-venv"
PY="${PYTHON:-python3}"

if [ -x "$VENV/bin/locust" ] && "$VENV/bin/python" -c 'import locust, httptools' 2>/dev/null; then
    exit 0
fi

echo "setup_locust: creating $VENV with $LOCUST_SPEC" >&2
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "$LOCUST_SPEC" httptools
"$VENV/bin/python" -c 'import locust; print("setup_locust: locust", locust.__version__)' >&2
