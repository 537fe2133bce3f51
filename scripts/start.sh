#!/usr/bin/env bash
# Set everything up, load the demo business into ./instance (SQLite) and serve it, with the
# background work (imports, webhooks, periodic tasks) running in the same process (--worker):
# Ctrl+C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${PEYVAND_SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh   # 1: the .venv is ready, skip it
export PEYVAND_HOME=${PEYVAND_HOME:-$PWD/instance}
.venv/bin/peyvand demo
exec .venv/bin/peyvand serve --worker --host "${PEYVAND_HOST:-127.0.0.1}" --port "${PEYVAND_PORT:-8000}"
