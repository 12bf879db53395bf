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
const interop = path.resolve(repo, 'tests/data/interop');
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
  h5kitRead: [path.join(repo, 'crates/h5kit-wasm/h5kit-read.mjs'), path.join(repo, 'crates/h5kit-wasm/pkg-read/h5kit_wasm.js'), path.join(repo, 'crates/h5kit-wasm/pkg-read/h5kit_wasm_bg.wasm')],
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
// Runs the contenders round-robin (the machine's load changes over time; interleaving keeps
// the comparison fair) and reports each one's median and best time.
async function race(rounds, contenders) {
  const res = Object.fromEntries(Object.keys(contenders).map((k) => [k, { ts: [], out: null }]));
  for (let i = 0; i < rounds; i++) {
    for (const [k, fn] of Object.entries(contenders)) {
      if (k === 'jsfive' && i >= Math.max(1, rounds - 2) && rounds > 3) continue; // slow: fewer runs
      const a = performance.now();
      res[k].out = await fn();
      res[k].ts.push(performance.now() - a);
    }
  }
  for (const r of Object.values(res)) {
    r.ms = median(r.ts);
    r.best = Math.min(...r.ts);
  }
  return res;
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
    const kind = !o ? 'broken' : Array.isArray(o.keys) ? 'group' : o.shape !== undefined ? 'dataset' : 'other';
    out.push([child, kind, kind === 'dataset' ? o.shape.join('x') : '']);
    if (kind === 'group') walkJsfive(o, child, out);
  }
  return out;
}

const listFiles = ['jhdf/test_file.hdf5', 'jhdf/test_large_group_latest.hdf5', 'jhdf/test_large_group_earliest.hdf5'];
const syncReader = (fd) => (off, len) => {
  const b = new Uint8Array(len);
  fs.readSync(fd, b, 0, len, off);
  return b;
};
const rows = [];
for (const rel of listFiles) {
  const p = path.join(interop, rel);
  const fd = fs.openSync(p, 'r');
  const size = fs.fstatSync(fd).size;
  const r = await race(7, {
    ours: async () => {
      const f = await h5.openBytes(fs.readFileSync(p));
      const l = await walkH5kit(f);
      f.close();
      return l;
    },
    oursRanged: async () => {
      const f = await h5.openSync(size, syncReader(fd));
      const l = await walkH5kit(f);
      f.close();
      return l;
    },
    h5wasm: async () => {
      // h5wasm (node build) reads the path directly.
      const f = new h5wasm.File(p, 'r');
      const l = walkH5wasm(f, '/');
      f.close();
      return l;
    },
    jsfive: async () => {
      const b = fs.readFileSync(p);
      const f = new jsfive.File(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), rel);
      return walkJsfive(f, '/');
    },
  });
  fs.closeSync(fd);
  rows.push({ rel, r });
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
const bigFd = fs.openSync(big, 'r');
const bigSize = fs.fstatSync(bigFd).size;
const bigR = await race(5, {
  ours: async () => {
    const f = await h5.openBytes(fs.readFileSync(big));
    const r = await f.read('/data');
    f.close();
    check(r.data);
    return r.data.length;
  },
  oursRanged: async () => {
    const f = await h5.openSync(bigSize, syncReader(bigFd));
    const r = await f.read('/data');
    f.close();
    check(r.data);
    return r.data.length;
  },
  h5wasm: async () => {
    const f = new h5wasm.File(big, 'r');
    const v = f.get('data').value;
    f.close();
    check(v);
    return v.length;
  },
  jsfive: async () => {
    const b = fs.readFileSync(big);
    const f = new jsfive.File(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength), 'gzip64.h5');
    const v = f.get('data').value;
    check(v);
    return v.length;
  },
});

// ---- report ----
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
const ms = (x) => `${x.toFixed(1)} ms`;
console.log(`node ${process.version}; h5wasm ${JSON.parse(fs.readFileSync(path.join(nm, 'h5wasm/package.json'))).version}; jsfive ${JSON.parse(fs.readFileSync(path.join(nm, 'jsfive/package.json'))).version}\n`);
console.log('| | h5kit | h5wasm | jsfive |');
console.log('|---|---|---|---|');
console.log(`| bytes shipped, gzip -9 (raw) | read+write ${kb(gz(shipped.h5kit))} (${kb(raw(shipped.h5kit))}); read-only ${kb(gz(shipped.h5kitRead))} (${kb(raw(shipped.h5kitRead))}) | ${kb(gz(shipped.h5wasm))} (${kb(raw(shipped.h5wasm))}) | ${kb(gz(shipped.jsfive))} (${kb(raw(shipped.jsfive))}) |`);
console.log(`| module load + instantiate | ${ms(loadH5kit)} | ${ms(loadH5wasm)} | ${ms(loadJsfive)} |`);
const cell = (x) => `${ms(x.ms)} (best ${ms(x.best)})`;
for (const { rel, r } of rows) {
  console.log(`| open + list ${rel} (links: ${r.ours.out.length}; h5wasm ${r.h5wasm.out.length}, jsfive ${r.jsfive.out.length}) | ${cell(r.ours)}; ranged fs.readSync ${cell(r.oursRanged)} | ${cell(r.h5wasm)} | ${cell(r.jsfive)} |`);
}
console.log(`| open + read 64 MiB gzip float64 (${path.basename(big)}, ${(bigSize / 1048576).toFixed(1)} MiB on disk) | ${cell(bigR.ours)}; ranged fs.readSync ${cell(bigR.oursRanged)} | ${cell(bigR.h5wasm)} | ${cell(bigR.jsfive)} |`);
console.log('\nmedian (best) of 7 interleaved rounds for listings, 5 for the 64 MiB read (jsfive: fewer)');

fs.closeSync(bigFd);
