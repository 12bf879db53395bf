// h5kit for the web and node: read (and write) HDF5 files with a pure-Rust WebAssembly core.
//
//   import * as h5 from './h5kit.mjs';
//   await h5.ready();                                  // loads pkg/h5kit_wasm_bg.wasm
//   const f = await h5.openBlob(fileInput.files[0]);   // or openBytes(u8) / openUrl(url)
//   await f.list('/')        -> [{name, path, kind, shape?, dtype?, target?}]
//   await f.info('/x')       -> {kind, path, shape, maxshape, dtype, element, layout, chunks, filters}
//   await f.attrs('/x')      -> [{name, dtype, shape, value}]
//   await f.read('/x')       -> {type: 'Float64Array', shape: [..], data: Float64Array}
//   await f.read('/x', {start: [0, 0], count: [10, 10]})     (a hyperslab)
//   await f.readStrings('/s') -> ['a', 'b']
//   f.stats()                -> bytes fetched etc. (ranged files)
//   const w = new h5.Writer({latest: true}); w.createGroup('/g');
//   w.createDataset('/g/x', new Float64Array([1, 2]), {chunks: [2], gzip: 4});
//   w.setAttr('/g', 'units', 'm'); const bytes = w.toBytes();
//
// Ranged files (openBlob, openUrl) read only the blocks they need through a block cache in
// the wasm module; reads are asynchronous (Blob.slice().arrayBuffer(), fetch with Range):
// an operation that needs bytes not loaded yet fails inside wasm with the list of missing
// blocks, which are fetched and the operation is run again (see src/ranged.rs).

import init, * as wb from './pkg/h5kit_wasm.js';

const { H5File, RangedCache } = wb;

let readyPromise = null;

/** Loads the wasm module (once). `source`: URL, Response, bytes or WebAssembly.Module. */
export function ready(source) {
  if (!readyPromise) {
    readyPromise = (async () => {
      let src = source;
      if (src === undefined && typeof process !== 'undefined' && process.versions && process.versions.node) {
        const fs = await import('node:fs');
        src = fs.readFileSync(new URL('./pkg/h5kit_wasm_bg.wasm', import.meta.url));
      }
      await init(src === undefined ? undefined : { module_or_path: src });
    })();
  }
  return readyPromise;
}

/** Runs `fn` (a synchronous wasm call), supplying missing blocks and retrying. */
async function runRanged(cache, fetchRange, fn) {
  cache.beginOperation();
  let lastKey = '';
  for (;;) {
    try {
      return fn();
    } catch (e) {
      const m = cache.takeMissing();
      if (m.length === 0) throw e;
      const key = Array.from(m).join(',');
      if (key === lastKey) throw new Error(`h5kit: supplied bytes did not satisfy the read (${e.message})`);
      lastKey = key;
      const jobs = [];
      for (let i = 0; i < m.length; i += 2) {
        const off = m[i];
        const len = m[i + 1];
        jobs.push(fetchRange(off, len).then((bytes) => cache.supply(off, bytes)));
      }
      await Promise.all(jobs);
    }
  }
}

function reviveNumbers(list) {
  const fix = (v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);
  for (const a of list) {
    if (Array.isArray(a.value) && typeof a.dtype === 'string' && /f\d/.test(a.dtype)) a.value = a.value.map(fix);
    else if (typeof a.dtype === 'string' && /f\d/.test(a.dtype)) a.value = fix(a.value);
  }
  return list;
}

/** An open HDF5 file. Every method returns a Promise; calls are serialized. */
export class File {
  constructor(raw, cache = null, fetchRange = null) {
    this._raw = raw;
    this._cache = cache;
    this._fetch = fetchRange;
    this._queue = Promise.resolve();
  }

  _op(fn) {
    const run = () => (this._cache && this._fetch ? runRanged(this._cache, this._fetch, () => fn(this._raw)) : fn(this._raw));
    const p = this._queue.then(run, run);
    this._queue = p.catch(() => {});
    return p;
  }

  /** Links of a group, name order. */
  list(path = '/') {
    return this._op((f) => JSON.parse(f.list(path)));
  }
  /** What an object is (datasets: shape, dtype, layout, chunks, filters). */
  info(path) {
    return this._op((f) => JSON.parse(f.info(path)));
  }
  /** Attributes with their values (numbers, strings; null when not representable). */
  attrs(path = '/') {
    return this._op((f) => reviveNumbers(JSON.parse(f.attributes(path))));
  }
  /** A numeric dataset, or a hyperslab of it: {type, shape, data: TypedArray}. */
  read(path, { start, count } = {}) {
    return this._op((f) => f.read(path, start ? Float64Array.from(start) : undefined, count ? Float64Array.from(count) : undefined));
  }
  /** A string dataset's values. */
  readStrings(path) {
    return this._op((f) => JSON.parse(f.readStrings(path)));
  }
  /** Cache counters of a ranged file ({fetches, bytesFetched, hits, misses, cachedBlocks}), else null. */
  stats() {
    return this._cache ? JSON.parse(this._cache.stats()) : null;
  }
  /** Frees the wasm memory held. */
  close() {
    this._raw.free();
    if (this._cache) this._cache.free();
  }
}

/** Opens a file from its bytes (Uint8Array or ArrayBuffer). */
export async function openBytes(bytes) {
  await ready();
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return new File(H5File.fromBytes(u8));
}

/** Opens a file read on demand through `fetchRange(offset, length) -> Promise<Uint8Array>`. */
export async function openRanged(length, fetchRange, { name = 'ranged', blockSize, maxBlocks } = {}) {
  await ready();
  const cache = new RangedCache(length, blockSize, maxBlocks);
  const raw = await runRanged(cache, fetchRange, () => H5File.openRanged(cache, name));
  return new File(raw, cache, fetchRange);
}

/**
 * Opens a file read synchronously on demand: `reader(offset, length) -> Uint8Array` (node's
 * fs.readSync, FileReaderSync in a worker).
 */
export async function openSync(length, reader, { name = 'ranged', blockSize, maxBlocks } = {}) {
  await ready();
  const cache = new RangedCache(length, blockSize, maxBlocks, reader);
  cache.beginOperation();
  const raw = H5File.openRanged(cache, name);
  const f = new File(raw, cache, null);
  f._op = (fn) => {
    cache.beginOperation();
    return Promise.resolve().then(() => fn(raw));
  };
  return f;
}

/** Opens a browser File/Blob, reading only the parts needed (metadata, chunks shown). */
export function openBlob(blob, options = {}) {
  const fetchRange = async (off, len) => new Uint8Array(await blob.slice(off, off + len).arrayBuffer());
  return openRanged(blob.size, fetchRange, { name: blob.name || 'blob', ...options });
}

/** Opens a remote file with HTTP range requests. */
export async function openUrl(url, options = {}) {
  const head = await fetch(url, { method: 'HEAD' });
  const length = Number(head.headers.get('content-length'));
  if (!head.ok || !Number.isFinite(length)) throw new Error(`h5kit: cannot get the size of ${url}`);
  const fetchRange = async (off, len) => {
    const r = await fetch(url, { headers: { Range: `bytes=${off}-${off + len - 1}` } });
    const buf = new Uint8Array(await r.arrayBuffer());
    if (r.status === 206) return buf;
    if (r.status === 200) return buf.subarray(off, off + len);
    throw new Error(`h5kit: range request for ${url} failed: ${r.status}`);
  };
  return openRanged(length, fetchRange, { name: url, ...options });
}

const DTYPES = new Map([
  [Int8Array, 'int8'], [Uint8Array, 'uint8'], [Int16Array, 'int16'], [Uint16Array, 'uint16'],
  [Int32Array, 'int32'], [Uint32Array, 'uint32'], [BigInt64Array, 'int64'], [BigUint64Array, 'uint64'],
  [Float32Array, 'float32'], [Float64Array, 'float64'],
]);

function bytesOf(typed) {
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

/** Builds a new HDF5 file in memory. */
export class Writer {
  constructor({ latest = false } = {}) {
    if (!readyPromise) throw new Error('h5kit: await ready() before creating a Writer');
    if (!wb.H5Writer) throw new Error('h5kit: this build has no writer (built without the "write" feature)');
    this._w = new wb.H5Writer(latest);
  }
  createGroup(path) {
    this._w.createGroup(path);
  }
  /**
   * Creates and writes a dataset from a typed array (or an array of strings).
   * options: shape (default [data.length]), chunks, gzip (0-9), shuffle.
   */
  createDataset(path, data, { shape, chunks, gzip, shuffle } = {}) {
    const isStrings = Array.isArray(data);
    const dtype = isStrings ? 'str' : DTYPES.get(data.constructor);
    if (!dtype) throw new Error('h5kit: data must be a typed array or an array of strings');
    const dims = Float64Array.from(shape || [data.length]);
    this._w.createDataset(path, dtype, dims, chunks ? Float64Array.from(chunks) : undefined, gzip, shuffle);
    if (isStrings) this._w.writeStrings(path, data.map(String));
    else this._w.writeDataset(path, bytesOf(data));
  }
  /** Sets an attribute: a string, a number (float64), or a typed array (shape optional). */
  setAttr(path, name, value, { shape } = {}) {
    if (typeof value === 'string') return this._w.setStringAttribute(path, name, value);
    if (typeof value === 'number') return this._w.setAttribute(path, name, 'float64', new Float64Array(0), bytesOf(new Float64Array([value])));
    const dtype = DTYPES.get(value.constructor);
    if (!dtype) throw new Error('h5kit: attribute value must be a string, a number or a typed array');
    return this._w.setAttribute(path, name, dtype, Float64Array.from(shape || [value.length]), bytesOf(value));
  }
  /** The file's bytes (Uint8Array). */
  toBytes() {
    return this._w.toBytes();
  }
  free() {
    this._w.free();
  }
}
