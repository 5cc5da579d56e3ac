#!/usr/bin/env bash
# Install aural-fx and everything it needs on a fresh Debian machine with python3 and pip.
# Usage: bash tools/setup.sh [dev]     ("dev" adds the test tools and Debian's zam-plugins)
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_ROOT_USER_ACTION=ignore  # installing as root (containers, CI) is expected here
# The CPU build of torch first, pinned, so that no dependency pulls the CUDA wheels.
python3 -m pip install --quiet torch==2.13.0
if [ "${1:-}" = "dev" ]; then
  if ! dpkg -s zam-plugins >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq zam-plugins >/dev/null
  fi
  python3 -m pip install --quiet -e ".[dev]"
else
  python3 -m pip install --quiet -e .
fi
