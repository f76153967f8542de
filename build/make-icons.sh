#!/usr/bin/env bash
# Regenerates the installer icons in build/ from assets/icon.svg, offline.
# Needs Debian's librsvg2-bin (rsvg-convert), icnsutils (png2icns) and icoutils (icotool):
#   apt-get install -y librsvg2-bin icnsutils icoutils
# The outputs are committed; electron-builder reads build/icon.png (Linux), build/icon.icns (macOS)
# and build/icon.ico (Windows) through `directories.buildResources: build`.
set -euo pipefail
cd "$(dirname "$0")/.."
svg=assets/icon.svg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rsvg-convert -w 1024 -h 1024 "$svg" -o build/icon.png
for s in 16 24 32 48 64 128 256 512; do rsvg-convert -w "$s" -h "$s" "$svg" -o "$tmp/$s.png"; done

# macOS: every size png2icns knows (it picks the icon type from each PNG's size).
png2icns build/icon.icns "$tmp/16.png" "$tmp/32.png" "$tmp/48.png" "$tmp/128.png" "$tmp/256.png" "$tmp/512.png" build/icon.png >/dev/null
# Windows: classic sizes as bitmaps, 256 stored as PNG (electron-builder needs a 256x256 entry).
icotool -c -o build/icon.ico "$tmp/16.png" "$tmp/24.png" "$tmp/32.png" "$tmp/48.png" "$tmp/64.png" "$tmp/128.png" --raw="$tmp/256.png"
echo "build/icon.png build/icon.icns build/icon.ico regenerated from $svg"
