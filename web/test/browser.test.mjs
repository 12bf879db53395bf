// Drives the viewer (web/index.html) in headless Chromium: opens jhdf/test_file.hdf5 through
// the file input, checks the tree, attributes and values against h5dump, saves
// web/screenshot.png. Needs: scripts/wasm-build.sh (web/h5kit/), chromium (/usr/bin/chromium
// or CHROMIUM=...), npm install in web/ (playwright-core; no browser download).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const interop = path.resolve(webDir, '../tests/data/interop');
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.png': 'image/png' };

function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = path.normalize(path.join(webDir, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)));
    if (!p.startsWith(webDir) || !fs.existsSync(p) || fs.statSync(p).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(p)] || 'application/octet-stream' });
    fs.createReadStream(p).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let failures = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failures++;
}

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(base);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });

  await page.setInputFiles('#file-input', path.join(interop, 'jhdf/test_file.hdf5'));
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 20000 });
  // h5ls: the root holds datasets_group, links_group, nD_Datasets.
  const top = await page.$$eval('nav > ul > li > ul > li', (lis) => lis.map((li) => li.dataset.path));
  check(JSON.stringify(top) === JSON.stringify(['/datasets_group', '/links_group', '/nD_Datasets']), `root links ${JSON.stringify(top)}`);

  // Attributes of /datasets_group (h5dump -A): float_attr 123.456, int_attr 123, string_attr.
  await page.click('li[data-path="/datasets_group"] > span');
  await page.waitForSelector('li[data-path="/datasets_group/float"]');
  const attrs = await page.$$eval('#attrs tr', (trs) => trs.map((tr) => tr.innerText.replace(/\s+/g, ' ').trim()));
  check(attrs.includes('float_attr <f8 [] 123.456'), `float_attr row (${attrs.join(' | ')})`);
  check(attrs.includes('int_attr <i8 [] 123'), 'int_attr row');
  check(attrs.includes('string_attr str [] "my string attribute"'), 'string_attr row');

  // /datasets_group/float/float32: h5dump -10 .. 10.
  await page.click('li[data-path="/datasets_group/float"] > span');
  await page.waitForSelector('li[data-path="/datasets_group/float/float32"]');
  await page.click('li[data-path="/datasets_group/float/float32"] > span');
  await page.waitForSelector('#values tr:nth-child(22)');
  const cells = await page.$$eval('#values td', (tds) => tds.map((td) => td.textContent));
  check(cells.length === 21 && cells[0] === '-10' && cells[10] === '0' && cells[20] === '10', `float32 values ${cells.join(',')}`);
  check(await page.$eval('#plot', (c) => getComputedStyle(c).display === 'block'), 'line plot shown');

  // Soft link shows its target; 3-D dataset shows its first 2-D slice as an image.
  await page.click('li[data-path="/links_group"] > span');
  await page.waitForSelector('li[data-path="/links_group/soft_link_to_int8"]');
  const softLabel = await page.$eval('li[data-path="/links_group/soft_link_to_int8"] .kind', (s) => s.textContent);
  check(softLabel === '/datasets_group/int/int8', `soft link label ${softLabel}`);
  await page.click('li[data-path="/nD_Datasets"] > span');
  await page.waitForSelector('li[data-path="/nD_Datasets/3D_float32"]');
  await page.click('li[data-path="/nD_Datasets/3D_float32"] > span');
  await page.waitForFunction(() => document.querySelectorAll('#values tr').length === 6);
  // h5dump -s 0,0,0 -c 1,2,5: row 0 = 0 1 2 3 4, row 1 = 100 101 102 103 104.
  const row1 = await page.$$eval('#values tr:nth-child(3) td', (tds) => tds.slice(0, 5).map((td) => td.textContent));
  check(JSON.stringify(row1) === JSON.stringify(['100', '101', '102', '103', '104']), `3D_float32 [0,1,0:5] ${row1}`);
  const img = await page.$eval('#plot', (c) => [c.width, c.height, getComputedStyle(c).display]);
  check(img[0] === 100 && img[1] === 5 && img[2] === 'block', `image ${img}`);
  const statusText = await page.$eval('#status', (s) => s.textContent);
  check(/read .* of .* in \d+ requests/.test(statusText), `status "${statusText}"`);

  // Drag-and-drop a second file: hdf_v14_test1.hdf5 (h5dump: dset1 H5T_STD_I32BE {10, 20},
  // row 1 = 1, 2, 3, ...), shown as a table and an image.
  const bytes = [...fs.readFileSync(path.join(interop, 'jhdf/hdf_v14_test1.hdf5'))];
  await page.evaluate((b) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(b)], 'hdf_v14_test1.hdf5'));
    document.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true }));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true }));
  }, bytes);
  await page.waitForSelector('li[data-path="/dset1"]');
  await page.click('li[data-path="/dset1"] > span');
  await page.waitForFunction(() => document.querySelectorAll('#values tr').length === 11);
  const dset1 = await page.$$eval('#values tr:nth-child(3) td', (tds) => tds.slice(0, 4).map((td) => td.textContent));
  check(JSON.stringify(dset1) === JSON.stringify(['1', '2', '3', '4']), `dropped file: dset1 row 1 ${dset1}`);
  const img2 = await page.$eval('#plot', (c) => [c.width, c.height]);
  check(img2[0] === 20 && img2[1] === 10, `dset1 image ${img2}`);
  const info = await page.$$eval('#info tr', (trs) => trs.map((tr) => tr.innerText.replace(/\s+/g, ' ').trim()));
  check(info.includes('datatype >i4'), `dset1 datatype (${info.join(' | ')})`);

  await page.screenshot({ path: path.join(webDir, 'screenshot.png') });
  check(errors.length === 0, `no page errors ${errors.join('; ')}`);
} finally {
  await browser.close();
  server.close();
}
if (failures) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.log('browser test passed');
