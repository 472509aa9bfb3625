#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the pinned official Backendless JS SDK used by the
# conformance tests (tests/conformance/package-lock.json), then runs every Rust test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "tests/run-all.sh: the conformance tests need Node.js and npm (node 18 or newer)" >&2
    exit 1
fi
npm ci --prefix tests/conformance --no-audit --no-fund --loglevel=error
cargo test --locked "$@"
