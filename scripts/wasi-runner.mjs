#!/usr/bin/env -S node --no-warnings
// Runs a wasm32-wasip1 program (a cargo test binary) under node's WASI (node 20+).
// Set as CARGO_TARGET_WASM32_WASIP1_RUNNER by .cargo/config.toml.
//
// The whole file system is preopened as `/`, so absolute paths compiled into tests
// (env!("CARGO_MANIFEST_DIR")/../../tests/data/interop/...) resolve as on the host.
// Relative paths resolve against `/` (WASI libc's emulated working directory), not the
// directory cargo runs the test in: tests must use CARGO_MANIFEST_DIR-based paths.
import { WASI } from 'node:wasi';
import { readFile } from 'node:fs/promises';
import process from 'node:process';

const [wasmPath, ...args] = process.argv.slice(2);
if (!wasmPath) {
  console.error('usage: wasi-runner.mjs program.wasm [args...]');
  process.exit(2);
}
const wasi = new WASI({
  version: 'preview1',
  args: [wasmPath, ...args],
  env: { ...process.env, PWD: process.cwd() },
  preopens: { '/': '/' },
  returnOnExit: true,
});
let code;
try {
  const module = await WebAssembly.compile(await readFile(wasmPath));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  code = wasi.start(instance);
} catch (e) {
  // panic=abort on wasm32-wasip1: a failing assertion ends in a trap.
  console.error(`wasi-runner: ${wasmPath} trapped: ${e && e.message ? e.message : e}`);
  console.error('wasi-runner: (panics abort on wasm32-wasip1; rerun with `-- --nocapture` to see the message)');
  code = 101;
}
process.exit(code);
