#!/usr/bin/env bash
# Runs the library test suites on wasm32-wasip1 (node's WASI as runner, see
# .cargo/config.toml and scripts/wasi-runner.mjs) and builds every library crate for
# wasm32-unknown-unknown. Needs: rustup target add wasm32-unknown-unknown wasm32-wasip1; node 20+.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/wasm}"
LIBS=(h5kit-core h5kit-superblock h5kit-btree h5kit-heap h5kit-object-header h5kit-dataset h5kit)
pkgs=()
for p in "${LIBS[@]}"; do pkgs+=(-p "$p"); done

echo "== build wasm32-unknown-unknown: ${LIBS[*]} h5kit-write h5kit-wasm"
cargo build --target wasm32-unknown-unknown "${pkgs[@]}" -p h5kit-write -p h5kit-wasm

echo "== test wasm32-wasip1: ${LIBS[*]} h5kit-wasm"
cargo test --target wasm32-wasip1 "${pkgs[@]}" -p h5kit-wasm "$@"
