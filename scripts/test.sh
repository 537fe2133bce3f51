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
# The two runs go side by side (one per core): the SQLite run's output is kept in a file and
# shown after the PostgreSQL run's; the command fails if either run does.
pg=${PEYVAND_TEST_PG:=postgresql://postgres@127.0.0.1:5432/test}
sqlite_log=$(mktemp "${TMPDIR:-/tmp}/peyvand-sqlite-tests.XXXXXX")
trap 'rm -f "$sqlite_log"' EXIT
echo "== pytest on SQLite (in the background) and on PostgreSQL ($pg)"
.venv/bin/python -m pytest -p no:cacheprovider "$@" >"$sqlite_log" 2>&1 &
sqlite_pid=$!
pg_status=0
PEYVAND_TEST_DATABASE_URL=$pg .venv/bin/python -m pytest -p no:cacheprovider "$@" || pg_status=$?
sqlite_status=0
wait "$sqlite_pid" || sqlite_status=$?
echo "== pytest on SQLite"
cat "$sqlite_log"
echo "== SQLite: $([ $sqlite_status -eq 0 ] && echo passed || echo FAILED)," \
     "PostgreSQL: $([ $pg_status -eq 0 ] && echo passed || echo FAILED)"
[ $sqlite_status -eq 0 ] && [ $pg_status -eq 0 ]
