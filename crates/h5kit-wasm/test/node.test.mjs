// The JavaScript package in node 20: bytes, Blob (asynchronous ranged protocol), synchronous
// ranged reads, typed arrays, attributes, strings, hyperslabs, and the writer round trip.
// Expected values from h5dump / h5ls. Run after scripts/wasm-build.sh:
//   node crates/h5kit-wasm/test/node.test.mjs
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as h5 from '../h5kit.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const interop = path.resolve(here, '../../../tests/data/interop');
const testFile = path.join(interop, 'jhdf/test_file.hdf5');
let n = 0;
async function test(name, fn) {
  await fn();
  n++;
  console.log(`ok ${name}`);
}

await h5.ready();

async function checkTestFile(f) {
  // h5ls -r test_file.hdf5
  const root = await f.list('/');
  assert.deepEqual(root.map((l) => [l.name, l.kind]), [['datasets_group', 'group'], ['links_group', 'group'], ['nD_Datasets', 'group']]);
  const links = await f.list('/links_group');
  assert.deepEqual(links.find((l) => l.name === 'soft_link_to_int8'), { name: 'soft_link_to_int8', path: '/links_group/soft_link_to_int8', kind: 'soft', target: '/datasets_group/int/int8' });
  // h5dump -A: float_attr 123.456 (f64), int_attr 123 (i64), string_attr "my string attribute".
  const attrs = await f.attrs('/datasets_group');
  assert.deepEqual(attrs.map((a) => [a.name, a.value]), [['float_attr', 123.456], ['int_attr', 123], ['string_attr', 'my string attribute']]);
  // h5dump -d /datasets_group/int/int16: -10 .. 10
  const r = await f.read('/datasets_group/int/int16');
  assert.equal(r.type, 'Int16Array');
  assert.ok(r.data instanceof Int16Array);
  assert.deepEqual(Array.from(r.data), Array.from({ length: 21 }, (_, i) => i - 10));
  // h5dump -d /nD_Datasets/3D_int32 -s 1,4,95 -c 1,1,5: 995 .. 999
  const s = await f.read('/nD_Datasets/3D_int32', { start: [1, 4, 95], count: [1, 1, 5] });
  assert.deepEqual(s.shape, [1, 1, 5]);
  assert.deepEqual(Array.from(s.data), [995, 996, 997, 998, 999]);
  const info = await f.info('/nD_Datasets/3D_float32');
  assert.deepEqual([info.kind, info.dtype, info.element, info.shape], ['dataset', '<f4', 'Float32Array', [2, 5, 100]]);
  await assert.rejects(f.read('/nope'), /nope/);
}

await test('openBytes', async () => {
  const f = await h5.openBytes(fs.readFileSync(testFile));
  await checkTestFile(f);
  assert.equal(f.stats(), null);
  f.close();
});

await test('openBlob (asynchronous ranged reads, small blocks)', async () => {
  const blob = await fs.openAsBlob(testFile);
  const f = await h5.openBlob(blob, { blockSize: 1024, maxBlocks: 8 });
  await checkTestFile(f);
  const st = f.stats();
  assert.ok(st.fetches > 0 && st.bytesFetched <= blob.size, JSON.stringify(st));
  // Concurrent calls are serialized.
  const [a, b] = await Promise.all([f.list('/datasets_group/int'), f.read('/datasets_group/int/int8')]);
  assert.deepEqual(a.map((l) => l.name), ['int16', 'int32', 'int8']);
  assert.equal(b.data[20], 10);
  f.close();
});

await test('openSync (fs.readSync reader)', async () => {
  const fd = fs.openSync(testFile, 'r');
  const size = fs.fstatSync(fd).size;
  const f = await h5.openSync(size, (off, len) => {
    const b = new Uint8Array(len);
    fs.readSync(fd, b, 0, len, off);
    return b;
  });
  await checkTestFile(f);
  f.close();
  fs.closeSync(fd);
});

await test('openUrl (HTTP range requests)', async () => {
  const http = await import('node:http');
  const data = fs.readFileSync(testFile);
  const ranges = [];
  const server = http.createServer((req, res) => {
    const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range || '');
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-length': data.length, 'accept-ranges': 'bytes' }).end();
    } else if (m) {
      const a = Number(m[1]);
      const b = Math.min(Number(m[2]), data.length - 1);
      ranges.push([a, b]);
      res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${data.length}`, 'content-length': b - a + 1 });
      res.end(data.subarray(a, b + 1));
    } else {
      res.writeHead(200, { 'content-length': data.length }).end(data);
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const f = await h5.openUrl(`http://127.0.0.1:${server.address().port}/test_file.hdf5`, { blockSize: 2048 });
    await checkTestFile(f);
    assert.ok(ranges.length > 1 && ranges.every(([a]) => a % 2048 === 0), JSON.stringify(ranges));
    f.close();
  } finally {
    server.close();
  }
});

await test('big-endian and string datasets', async () => {
  // h5dump hdf_v14_test1.hdf5: dset2 H5T_IEEE_F64BE (0,0..2) = 0, 0.0001, 0.0002
  const f = await h5.openBytes(fs.readFileSync(path.join(interop, 'jhdf/hdf_v14_test1.hdf5')));
  const r = await f.read('/dset2', { start: [0, 0], count: [1, 3] });
  assert.deepEqual(Array.from(r.data), [0, 0.0001, 0.0002]);
  f.close();
});

await test('a large ranged file reads only what it shows', async () => {
  const big = '/tmp/h5kit-compare/gzip64.h5';
  if (!fs.existsSync(big)) return console.log('  (skipped: run scripts/wasm-compare.mjs to generate it)');
  const blob = await fs.openAsBlob(big);
  const f = await h5.openBlob(blob);
  const r = await f.read('/data', { start: [1000000], count: [10] });
  // x[i] = round(sin(i/5000)*1000, 1) + i % 7
  assert.deepEqual(Array.from(r.data), Array.from({ length: 10 }, (_, k) => Math.round(Math.sin((1000000 + k) / 5000) * 10000) / 10 + ((1000000 + k) % 7)));
  assert.ok(f.stats().bytesFetched < 2 * 1024 * 1024, JSON.stringify(f.stats()));
  f.close();
});

await test('writer round trip', async () => {
  const w = new h5.Writer({ latest: true });
  w.createGroup('/g');
  w.createDataset('/g/x', new Float64Array([1.5, 2.5, -3, 4]), { chunks: [2], gzip: 4 });
  w.createDataset('/g/m', new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [2, 3] });
  w.createDataset('/names', ['alpha', 'beta']);
  w.setAttr('/g', 'units', 'm');
  w.setAttr('/g', 'scale', 0.5);
  w.setAttr('/g/m', 'origin', new Int16Array([7, 8]));
  const bytes = w.toBytes();
  w.free();
  const f = await h5.openBytes(bytes);
  assert.deepEqual(Array.from((await f.read('/g/x')).data), [1.5, 2.5, -3, 4]);
  const m = await f.read('/g/m', { start: [1, 1], count: [1, 2] });
  assert.deepEqual(Array.from(m.data), [5, 6]);
  assert.deepEqual(await f.readStrings('/names'), ['alpha', 'beta']);
  assert.deepEqual((await f.attrs('/g')).map((a) => [a.name, a.value]).sort(), [['scale', 0.5], ['units', 'm']]);
  assert.deepEqual((await f.attrs('/g/m'))[0].value, [7, 8]);
  const info = await f.info('/g/x');
  assert.deepEqual([info.layout, info.chunks, info.filters], ['chunked', [2], ['deflate']]);
  f.close();
  fs.writeFileSync('/tmp/h5kit-wasm-writer-test.h5', bytes);
});

console.log(`${n} tests passed`);
