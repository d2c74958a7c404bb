#!/usr/bin/env bash
# The full test suite: lint, types, then pytest against real PostgreSQL, Redis and worker processes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/services.sh
echo "==> ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
echo "==> mypy"
.venv/bin/mypy
echo "==> pytest"
mkdir -p test-artifacts
.venv/bin/pytest "$@"
