#!/usr/bin/env bash
# Installs the self-contained test fixtures that must not join the app's dependency tree:
# the <moq-watch> interop page brings its own @moq/net 0.2.x (the app keeps one copy, 0.3.4).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d test/interop/watch-page/node_modules/@moq/watch ]; then
	npm ci --prefix test/interop/watch-page --no-audit --no-fund --loglevel=error
fi
