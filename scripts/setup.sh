#!/usr/bin/env bash
# Create .venv (Python 3.11) and install the kernel, the SDK and every plugin in this checkout.
# Used by scripts/start.sh and scripts/test.sh; safe to run again (it only installs what changed).
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "Peyvand needs Python 3.11 or newer"'

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.peyvand-installed
inputs=$(cat pyproject.toml requirements-dev.txt kernel/pyproject.toml sdk/pyproject.toml \
         plugins/*/pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ "${1:-}" = "--dev" ]; then inputs="$inputs-dev"; fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$inputs" ]; then
  echo "Installing Peyvand into .venv (the first run takes a minute)..."
  log=.venv/pip-install.log
  editables=(-e ./kernel -e ./sdk)
  for p in plugins/*/; do editables+=(-e "./$p"); done
  extra=()
  if [ "${1:-}" = "--dev" ]; then extra=(-e "./kernel[postgresql]" -r requirements-dev.txt); fi
  # pip's chatter goes to a log; it is shown only when the install fails.
  if ! .venv/bin/python -m pip install --disable-pip-version-check "${editables[@]}" \
        "${extra[@]}" >"$log" 2>&1; then
    cat "$log"
    echo "setup failed: the pip output above says why" >&2
    exit 1
  fi
  echo "$inputs" > "$stamp"
fi
