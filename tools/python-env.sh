#!/usr/bin/env bash
# Sets up the Python plugin toolchain and prints the line to use it:
#
#     eval "$(tools/python-env.sh)"     # exports OWNCAST_PYTHON
#
# A virtual environment in target/python with componentize-py (from PyPI,
# pinned below) and the Python SDK (sdks/python, pip-installed, reinstalled
# when its sources change). Needs python3 (3.10 or newer) with venv and pip.
# Idempotent: a second run installs nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${OWNCAST_PYTHON_VENV:-$ROOT/target/python}"
COMPONENTIZE_PY="componentize-py==0.25.1"
SDK="$ROOT/sdks/python"

die() { echo "python-env: error: $*" >&2; exit 1; }
say() { echo "python-env: $*" >&2; }

command -v python3 >/dev/null || die "python3 is not installed"
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' ||
  die "python3 $(python3 -c 'import platform; print(platform.python_version())') is too old: 3.10 or newer is needed"
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  python3 -m venv "$VENV" >&2 || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
fi
PY="$VENV/bin/python"
if ! "$PY" -c 'import importlib.metadata as m, sys; sys.exit(0 if m.version("componentize-py") == sys.argv[1] else 1)' \
  "${COMPONENTIZE_PY#*==}" 2>/dev/null || ! "$PY" -c 'import wheel' 2>/dev/null; then
  # wheel: to build the SDK's own wheel with the venv's setuptools, below.
  say "pip install $COMPONENTIZE_PY wheel"
  nice "$PY" -m pip install --quiet --disable-pip-version-check "$COMPONENTIZE_PY" wheel >&2 ||
    die "pip install $COMPONENTIZE_PY failed"
fi
MARK="$VENV/.owncast-plugin-sdk"
if [ ! -f "$MARK" ] || [ -n "$(find "$SDK" -newer "$MARK" -type f ! -path '*/__pycache__/*' ! -path '*/build/*' ! -path '*.egg-info*' -print -quit)" ]; then
  say "pip install sdks/python"
  # --no-build-isolation: build with the venv's own setuptools, offline.
  rm -rf "$SDK/build" "$SDK"/*.egg-info
  nice "$PY" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --force-reinstall "$SDK" >&2 ||
    die "pip install sdks/python failed"
  rm -rf "$SDK/build" "$SDK"/*.egg-info
  touch "$MARK"
fi
echo "export OWNCAST_PYTHON='$PY'"
