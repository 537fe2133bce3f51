#!/usr/bin/env bash
# Set everything up and run the whole suite: ruff, then pytest on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check .
export PEYVAND_STRICT_PLUGINS=1
if [ ! -x /usr/bin/chromium ]; then  # tests/ui drive Debian's chromium through Playwright
  echo "== installing chromium for the browser tests"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
fi
echo "== pytest on SQLite"
.venv/bin/python -m pytest "$@"
echo "== pytest on PostgreSQL (${PEYVAND_TEST_PG:=postgresql://postgres@127.0.0.1:5432/test})"
PEYVAND_TEST_DATABASE_URL=$PEYVAND_TEST_PG .venv/bin/python -m pytest "$@"
