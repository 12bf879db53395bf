#!/usr/bin/env bash
# Builds the JavaScript package crates/h5kit-wasm (pkg/ = wasm-bindgen output, target "web",
# which node 20 loads too) and copies it into web/h5kit/ for the static viewer.
# Needs: rustup target add wasm32-unknown-unknown; wasm-bindgen-cli of the same version as
# the wasm-bindgen crate in Cargo.lock (cargo install wasm-bindgen-cli --version X).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/wasm}"
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}') || true
if [ "$want" != "$have" ]; then
  echo "wasm-bindgen-cli $want needed (found: ${have:-none}): cargo install wasm-bindgen-cli --version $want" >&2
  exit 1
fi
cargo build --profile wasm-release --target wasm32-unknown-unknown -p h5kit-wasm
out=crates/h5kit-wasm/pkg
rm -rf "$out"
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir "$out" \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/h5kit_wasm.wasm"
# wasm-opt (binaryen) is optional: WASM_OPT=1 runs it. Binaryen 108 (Debian 12) breaks the
# externref table wasm-bindgen sets up, so it is off by default.
if command -v wasm-opt >/dev/null && [ "${WASM_OPT:-0}" = 1 ]; then
  wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-multivalue --enable-reference-types \
    "$out/h5kit_wasm_bg.wasm" -o "$out/h5kit_wasm_bg.wasm.opt" && mv "$out/h5kit_wasm_bg.wasm.opt" "$out/h5kit_wasm_bg.wasm" \
    || echo "wasm-opt failed; keeping the unoptimized module" >&2
fi
rm -rf web/h5kit
mkdir -p web/h5kit/pkg
cp crates/h5kit-wasm/h5kit.mjs web/h5kit/
cp "$out/h5kit_wasm.js" "$out/h5kit_wasm_bg.wasm" web/h5kit/pkg/
ls -l "$out"
