#!/usr/bin/env bash
# One command on a fresh machine: install, then bring VocalBorn Tasks up on embedded defaults
# (SQLite, private Redis and storage under ./.vocalborn, dev mode): API, worker and beat, then one
# real analysis of the bundled English and Mandarin samples end to end; the stack keeps running.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export ENVIRONMENT="${ENVIRONMENT:-dev}"

echo "==> starting the stack and analysing the bundled samples (Ctrl-C stops it)"
exec .venv/bin/vocalborn demo --start --keep-running --api "http://127.0.0.1:${PORT:-8000}"
