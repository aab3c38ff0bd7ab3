#!/usr/bin/env bash
# Install the pinned AIPerf release into a project-local venv (.venv/aiperf).
# Idempotent: when the venv already has the pinned version this is a fast no-op.
# Override the location with MMLOAD_AIPERF_VENV, the interpreter with PYTHON.
set -euo pipefail

AIPERF_VERSION="0.13.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMLOAD_AIPERF_VENV:-$ROOT/.venv/aiperf}"
PYTHON="${PYTHON:-python3}"

say() { printf 'setup-aiperf: %s\n' "$*"; }
die() { printf 'setup-aiperf: error: %s\n' "$*" >&2; exit 1; }

# Test files that need AIPerf each call this script: if two run at once, the second waits for the
# first's pip install instead of installing into the same venv beside it.
mkdir -p "$(dirname "$VENV")"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$VENV.lock"
  flock -n 9 || { say "another setup-aiperf is installing into $VENV: waiting for it"; flock 9; }
fi

if [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/aiperf" ]; then
  have="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("aiperf"))' 2>/dev/null || true)"
  if [ "$have" = "$AIPERF_VERSION" ]; then
    say "aiperf $AIPERF_VERSION already installed in $VENV (nothing to do)"
    exit 0
  fi
  say "found aiperf '${have:-none}' in $VENV, want $AIPERF_VERSION: reinstalling"
fi

command -v "$PYTHON" >/dev/null 2>&1 || die "'$PYTHON' not found; AIPerf needs Python >= 3.10 (set PYTHON=/path/to/python3)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || die "$("$PYTHON" --version 2>&1) is too old; AIPerf $AIPERF_VERSION needs Python >= 3.10 (set PYTHON=...)"

start=$(date +%s)
if [ ! -x "$VENV/bin/python" ]; then
  say "creating venv $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV" || die "python -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
fi
say "installing aiperf==$AIPERF_VERSION from PyPI (a few minutes on a fresh venv)"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet --upgrade pip \
  || die "upgrading pip in $VENV failed (network access to PyPI?)"
if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "aiperf==$AIPERF_VERSION"; then
  die "pip install aiperf==$AIPERF_VERSION failed (see pip's output above; network access to PyPI?)"
fi
"$VENV/bin/aiperf" --version >/dev/null 2>&1 || [ -x "$VENV/bin/aiperf" ] \
  || die "aiperf installed but $VENV/bin/aiperf is missing"
say "installed aiperf $AIPERF_VERSION in $VENV in $(( $(date +%s) - start ))s"
