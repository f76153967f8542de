#!/usr/bin/env bash
# Installs the system packages the tests drive for real: Debian's Chromium (end-to-end tests,
# through playwright-core; never `npx playwright install`), ffmpeg/ffprobe (recordings) and
# openssl (self-signed certificates for the TLS relay tests).
# Does nothing when they are present; needs root (or sudo) to install them otherwise.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "system-deps: installing ${missing[*]} with apt-get" >&2
SUDO=""
if [ "$(id -u)" != "0" ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
		echo "system-deps: run as root or install: apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
