#!/usr/bin/env bash
# Build the whole corpus with one command: bash tools/corpus/build.sh [ROOT]   (default data/corpus)
# Installs what the synthetic voices need, then renders; a rerun reuses what is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/corpus/install.sh
exec "${PYTHON:-.venv/bin/python}" tools/corpus/build.py "${1:-data/corpus}" "${@:2}"
