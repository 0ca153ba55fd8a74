#!/usr/bin/env bash
# Debian/Ubuntu packages the app and its tests need that a fresh machine lacks.
# Installs only what is missing; uses sudo when not root.
set -euo pipefail

PACKAGES=(
  python3-venv      # the .venv
  build-essential   # llama-cpp-python compiles from source
  libportaudio2     # sounddevice fails at import without it
  ffmpeg            # ffprobe for checking media by hand and in tests
  espeak-ng         # speech for the demo talk and the tests
  sox               # resampling test audio
  fonts-noto-cjk fonts-dejavu-core   # burned-in captions in any script (Hangul, Kana, Han, Latin)
  xvfb xauth        # a virtual screen for the studio's GUI tests
  libgl1-mesa-dri libegl1 libgl1          # OpenGL (Mesa llvmpipe without a GPU)
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
  libxcb-xfixes0 libfontconfig1 libdbus-1-3   # what Qt's xcb platform plugin loads
)

# Only the tests need these: a real browser for the remote control page, and real read
# speech with its transcripts (LibriVox, /usr/share/pocketsphinx/test/data/librivox), and
# OCR to read the figures drawn on screen back from the pixels (tesseract, English data).
if [ "${1:-}" = "--test" ]; then
  PACKAGES+=(chromium pocketsphinx-testdata tesseract-ocr tesseract-ocr-eng)
fi

if ! command -v dpkg >/dev/null 2>&1; then
  echo "system-deps: not a Debian-like system; install the equivalents of: ${PACKAGES[*]}" >&2
  exit 0
fi
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "system-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
