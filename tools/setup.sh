#!/usr/bin/env bash
# Install aural-fx and everything it needs into a virtual environment in this clone (.venv),
# on a fresh Debian/Ubuntu machine: a stock system Python (PEP 668), pyenv or a container.
# Usage: bash tools/setup.sh [dev]     ("dev" adds the test tools and Debian's zam-plugins)
# Afterwards run .venv/bin/aural-fx directly, or `. .venv/bin/activate` for a shell session.
# PYTHON picks the interpreter (default python3); AURAL_FX_VENV the folder (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${AURAL_FX_VENV:-.venv}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

apt_install() {  # apt_install PACKAGE...: install what is missing, quietly
  local missing=()
  for package in "$@"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
  [ ${#missing[@]} = 0 ] && return 0
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  rm -rf "$VENV"
  if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
    # Debian and Ubuntu ship venv's pip bootstrap in a package of its own.
    rm -rf "$VENV"
    version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    apt_install "python$version-venv"
    "$PYTHON" -m venv "$VENV"
  fi
fi
PIP=("$VENV/bin/python" -m pip --quiet --disable-pip-version-check)
# The CPU build of torch first, pinned, so that no dependency pulls the CUDA wheels.
"${PIP[@]}" install torch==2.13.0
if [ "${1:-}" = "dev" ]; then
  apt_install zam-plugins
  "${PIP[@]}" install -e ".[dev]"
else
  "${PIP[@]}" install -e .
fi
echo "aural-fx is installed in $VENV: run $VENV/bin/aural-fx, or '. $VENV/bin/activate' first" >&2
