#!/usr/bin/env node
// Side-by-side in node: h5kit (crates/h5kit-wasm) against h5wasm (libhdf5 compiled with
// emscripten) and jsfive (pure JavaScript), on the same files.
//   - bytes shipped to a browser (wasm + JS, gzip -9),
//   - time to open a file and list it (recursive walk: every link's kind, datasets' shape),
//   - time to read a 64 MiB gzip-compressed float64 dataset (generated with h5py).
// Needs: scripts/wasm-build.sh, `npm install` in web/ (h5wasm, jsfive), python3 + h5py + numpy
// (to generate the 64 MiB file once into $H5KIT_COMPARE_DIR, default /tmp/h5kit-compare).
// Prints a Markdown table (recorded in spec-notes/wasm.md).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nm = path.join(repo, 'web/node_modules');
const interop = path.resolve(repo, '../shared/interop');
const workDir = process.env.H5KIT_COMPARE_DIR || '/tmp/h5kit-compare';
fs.mkdirSync(workDir, { recursive: true });

// ---- the 64 MiB gzip dataset ----
const big = path.join(workDir, 'gzip64.h5');
if (!fs.existsSync(big)) {
  console.error(`generating ${big} with h5py…`);
  execFileSync('python3', ['-c', `
import h5py, numpy as np
n = 8 * 1024 * 1024
x = np.round(np.sin(np.arange(n) / 5000.0) * 1000, 1) + (np.arange(n) % 7)
with h5py.File(${JSON.stringify(big)}, 'w') as f:
    f.create_dataset('data', data=x, chunks=(131072,), compression='gzip', compression_opts=4)
`]);
}
const N_BIG = 8 * 1024 * 1024;

// ---- bytes shipped ----
const gz = (files) => files.reduce((n, f) => n + zlib.gzipSync(fs.readFileSync(f), { level: 9 }).length, 0);
const raw = (files) => files.reduce((n, f) => n + fs.statSync(f).size, 0);
const shipped = {
  h5kit: [path.join(repo, 'crates/h5kit-wasm/h5kit.mjs'), path.join(repo, 'crates/h5kit-wasm/pkg/h5kit_wasm.js'), path.join(repo, 'crates/h5kit-wasm/pkg/h5kit_wasm_bg.wasm')],
  h5wasm: [path.join(nm, 'h5wasm/dist/esm/hdf5_hl.js'), path.join(nm, 'h5wasm/dist/esm/hdf5_util.js'), path.join(nm, 'h5wasm/dist/esm/file_handlers.js')],
  jsfive: [path.join(nm, 'jsfive/dist/browser/hdf5.js')],
};

// ---- libraries ----
const t0 = performance.now();
const h5 = await import(pathToFileURL(path.join(repo, 'crates/h5kit-wasm/h5kit.mjs')));
await h5.ready();
const loadH5kit = performance.now() - t0;
const t1 = performance.now();
const h5wasm = (await import(pathToFileURL(path.join(nm, 'h5wasm/dist/node/hdf5_hl.js')))).default;
await h5wasm.ready;
const loadH5wasm = performance.now() - t1;
const t2 = performance.now();
const jsfive = await import(pathToFileURL(path.join(nm, 'jsfive/dist/esm/index.mjs')));
const loadJsfive = performance.now() - t2;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
async function time(n, fn) {
  const ts = [];
  let out;
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    out = await fn();
    ts.push(performance.now() - a);
  }
  return { ms: median(ts), out };
}

// Recursive listings: [path, kind, shape] for every link.
async function walkH5kit(f, p = '/', out = []) {
  for (const l of await f.list(p)) {
    out.push([l.path, l.kind, l.shape ? l.shape.join('x') : '']);
    if (l.kind === 'group') await walkH5kit(f, l.path, out);
  }
  return out;
}
function walkH5wasm(g, p, out = []) {
  for (const k of g.keys()) {
    const child = p === '/' ? `/${k}` : `${p}/${k}`;
    const o = g.get(k);
    const kind = o ? o.type.toLowerCase() : 'broken';
    out.push([child, kind, kind === 'dataset' ? o.shape.join('x') : '']);
    if (kind === 'group') walkH5wasm(o, child, out);
  }
  return out;
}
function walkJsfive(g, p, out = []) {
  for (const k of g.keys) {
    const child = p === '/' ? `/${k}` : `${p}/${k}`;
    let o = null;
    try {
      o = g.get(k);
    } catch {
      o = null;
    }
    const kind = !o ? 'broken' : o.keys ? 'group' : 'dataset';
    out.push([child, kind, kind === 'dataset' ? o.shape.join('x') : '']);
    if (kind === 'group') walkJsfive(o, child, out);
  }
  return out;
}

const listFiles = ['jhdf/test_file.hdf5', 'jhdf/test_large_group_latest.hdf5', 'jhdf/test_large_group_earliest.hdf5'];
const rows = [];
let h5wasmSeq = 0;
for (const rel of listFiles) {
  const p = path.join(interop, rel);
  const ours = await time(5, async () => {
    const bytes = fs.readFileSync(p);
    const f = await h5.openBytes(bytes);
    const l = await walkH5kit(f);
    f.close();
    return l;
  });
  const fd = fs.openSync(p, 'r');
  const size = fs.fstatSync(fd).size;
  const oursRanged = await time(5, async () => {
    const f = await h5.openSync(size, (off, len) => {
      const b = new Uint8Array(len);
      fs.readSync(fd, b, 0, len, off);
      return b;
    });
    const l = await walkH5kit(f);
    f.close();
    return l;
  });
  fs.closeSync(fd);
  const theirs = await time(5, async () => {
    // h5wasm (node build) reads the path directly.
    const f = new h5wasm.File(p, 'r');
    const l = walkH5wasm(f, '/');
    f.close();
    h5wasmSeq++;
    return l;
  });
  const js = await time(5, async () => {
    const b = fs.readFileSync(p);
    const f = new jsfive.File(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), rel);
    return walkJsfive(f, '/');
  });
  rows.push({ rel, n: ours.out.length, ours: ours.ms, oursRanged: oursRanged.ms, h5wasm: theirs.ms, jsfive: js.ms, nTheirs: theirs.out.length, nJs: js.out.length });
}

// ---- 64 MiB gzip read ----
const check = (data) => {
  if (data.length !== N_BIG) throw new Error(`read ${data.length} elements`);
  // x[i] = round(sin(i/5000)*1000, 1) + i % 7 : spot checks.
  for (const i of [0, 12345, N_BIG - 1]) {
    const want = Math.round(Math.sin(i / 5000) * 10000) / 10 + (i % 7);
    if (Math.abs(data[i] - want) > 1e-6) throw new Error(`x[${i}] = ${data[i]}, want ${want}`);
  }
};
const bigOurs = await time(3, async () => {
  const f = await h5.openBytes(fs.readFileSync(big));
  const r = await f.read('/data');
  f.close();
  check(r.data);
  return r.data.length;
});
const bigFd = fs.openSync(big, 'r');
const bigSize = fs.fstatSync(bigFd).size;
const bigOursRanged = await time(3, async () => {
  const f = await h5.openSync(bigSize, (off, len) => {
    const b = new Uint8Array(len);
    fs.readSync(bigFd, b, 0, len, off);
    return b;
  });
  const r = await f.read('/data');
  f.close();
  check(r.data);
  return r.data.length;
});
const bigH5wasm = await time(3, async () => {
  const f = new h5wasm.File(big, 'r');
  const v = f.get('data').value;
  f.close();
  check(v);
  return v.length;
});
const bigJsfive = await time(1, async () => {
  const b = fs.readFileSync(big);
  const f = new jsfive.File(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), 'gzip64.h5');
  const v = f.get('data').value;
  check(v);
  return v.length;
});

// ---- report ----
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
const ms = (x) => `${x.toFixed(1)} ms`;
console.log(`node ${process.version}; h5wasm ${JSON.parse(fs.readFileSync(path.join(nm, 'h5wasm/package.json'))).version}; jsfive ${JSON.parse(fs.readFileSync(path.join(nm, 'jsfive/package.json'))).version}\n`);
console.log('| | h5kit | h5wasm | jsfive |');
console.log('|---|---|---|---|');
console.log(`| bytes shipped, gzip -9 (raw) | ${kb(gz(shipped.h5kit))} (${kb(raw(shipped.h5kit))}) | ${kb(gz(shipped.h5wasm))} (${kb(raw(shipped.h5wasm))}) | ${kb(gz(shipped.jsfive))} (${kb(raw(shipped.jsfive))}) |`);
console.log(`| module load + instantiate | ${ms(loadH5kit)} | ${ms(loadH5wasm)} | ${ms(loadJsfive)} |`);
for (const r of rows) {
  console.log(`| open + list ${r.rel} (${r.n} links; h5wasm ${r.nTheirs}, jsfive ${r.nJs}) | ${ms(r.ours)} (ranged fs.readSync: ${ms(r.oursRanged)}) | ${ms(r.h5wasm)} | ${ms(r.jsfive)} |`);
}
console.log(`| open + read 64 MiB gzip float64 (${path.basename(big)}, ${(bigSize / 1048576).toFixed(1)} MiB on disk) | ${ms(bigOurs.ms)} (ranged fs.readSync: ${ms(bigOursRanged.ms)}) | ${ms(bigH5wasm.ms)} | ${ms(bigJsfive.ms)} |`);
console.log('\nmedian of 5 runs (listing) / 3 runs (64 MiB read; jsfive: 1 run)');
fs.closeSync(bigFd);
