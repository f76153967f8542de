#!/usr/bin/env bash
# Installs the self-contained test fixtures that must not join the app's dependency tree:
# the <moq-watch> interop page brings its own @moq/net 0.2.x and the <moq-publish> interop page
# its own @moq/net 0.1.x (the app keeps one copy, 0.3.4).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d test/interop/watch-page/node_modules/@moq/watch ]; then
	npm ci --prefix test/interop/watch-page --no-audit --no-fund --loglevel=error
fi
if [ ! -d test/interop/publish-page/node_modules/@moq/publish ]; then
	npm ci --prefix test/interop/publish-page --no-audit --no-fund --loglevel=error
fi
