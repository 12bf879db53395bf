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
# Two variants: pkg/ (reader + writer, h5kit.mjs) and pkg-read/ (reader only, smaller,
# h5kit-read.mjs: the same wrapper pointed at pkg-read/).
build() { # features out-dir
  cargo build --profile wasm-release --target wasm32-unknown-unknown -p h5kit-wasm $1
  local out=crates/h5kit-wasm/$2
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section --out-dir "$out" \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/h5kit_wasm.wasm"
  ls -l "$out"
}
build "" pkg
build "--no-default-features" pkg-read
sed "s#'./pkg/#'./pkg-read/#g" crates/h5kit-wasm/h5kit.mjs > crates/h5kit-wasm/h5kit-read.mjs
# wasm-opt (binaryen) is not used: -Oz shrinks the raw module but not the gzipped one, and
# Debian's binaryen 108 breaks wasm-bindgen's externref table.

# The viewer uses the reader-only build.
rm -rf web/h5kit
mkdir -p web/h5kit/pkg-read
cp crates/h5kit-wasm/h5kit-read.mjs web/h5kit/
cp crates/h5kit-wasm/pkg-read/h5kit_wasm.js crates/h5kit-wasm/pkg-read/h5kit_wasm_bg.wasm web/h5kit/pkg-read/
