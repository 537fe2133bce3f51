#!/usr/bin/env bash
# Set everything up and run the whole suite: ruff, then pytest on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check .
export PEYVAND_STRICT_PLUGINS=1
echo "== pytest on SQLite"
.venv/bin/python -m pytest "$@"
echo "== pytest on PostgreSQL (${PEYVAND_TEST_PG:=postgresql://postgres@127.0.0.1:5432/test})"
PEYVAND_TEST_DATABASE_URL=$PEYVAND_TEST_PG .venv/bin/python -m pytest "$@"
