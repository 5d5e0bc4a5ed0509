#!/usr/bin/env bash
# The README's set-up command: the Debian packages the service runs with, then the npm
# packages (Node 24 comes with them, through the npm `node` package). Run as root or with
# sudo on Debian/Ubuntu; packages already present are left as they are.
#   ffmpeg               audio/video probing, frames, shots, audio preparation
#   poppler-utils        pdftoppm: scanned PDF pages rendered for OCR
#   fonts-dejavu-core    labels on contact sheets and captions
#   pocketsphinx, pocketsphinx-en-us   local speech recognition (no provider needed)
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || need+=(fonts-dejavu-core)
command -v pocketsphinx_continuous >/dev/null 2>&1 || need+=(pocketsphinx)
[ -f /usr/share/pocketsphinx/model/en-us/en-us.lm.bin ] || need+=(pocketsphinx-en-us)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing from Debian's packages: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ "${SETUP_SKIP_NPM:-}" != "1" ]; then
  npm ci --no-audit --no-fund
fi
