#!/bin/sh
# Builds the worker (edge-worker/build/) with worker-build, pointed at local tools so nothing is
# downloaded: the wasm-bindgen CLI of the version pinned in Cargo.toml (cargo-installed by
# scripts/setup), wasm-opt from npm binaryen@132 and esbuild from npm, both from the
# repository root's node_modules.
set -e
cd "$(dirname "$0")"
ROOT="$(cd .. && pwd)"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$ROOT/node_modules/.bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$ROOT/node_modules/.bin/esbuild}"
exec worker-build --release "$@"
