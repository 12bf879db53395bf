// h5kit viewer: opens a local HDF5 file client-side (file picker or drag-and-drop), shows the
// tree, attributes and a dataset's values (table + line plot for 1-D, image for 2-D and the
// first 2-D slice of higher ranks). Reads go through h5kit's ranged cache: only metadata and
// the chunks displayed are read from the file.
import * as h5 from './h5kit/h5kit-read.mjs';

const $ = (id) => document.getElementById(id);
const MAX_1D = 100000; // elements plotted for 1-D datasets
const MAX_2D = 1024; // rows/columns shown for 2-D slices
const TABLE_ROWS = 100;
const TABLE_COLS = 20;

let file = null;
let fileSize = 0;

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

function status(msg, isError = false) {
  const s = $('status');
  s.textContent = msg;
  s.className = isError ? 'error' : '';
}

function showStats() {
  const st = file && file.stats();
  if (st) status(`${file.name}: read ${fmtBytes(st.bytesFetched)} of ${fmtBytes(fileSize)} in ${st.fetches} requests`);
}

async function openFile(blob) {
  try {
    if (file) file.close();
    status(`opening ${blob.name}…`);
    file = await h5.openBlob(blob);
    file.name = blob.name;
    fileSize = blob.size;
    $('tree').replaceChildren();
    clearDetail();
    const root = el('li', { className: 'group open' }, el('span', { textContent: '/' }));
    root.dataset.path = '/';
    root.querySelector('span').onclick = () => select(root, '/', 'group');
    $('tree').append(el('ul', {}, root));
    await expand(root, '/');
    await select(root, '/', 'group');
    document.body.dataset.loaded = 'true';
  } catch (e) {
    status(`cannot open ${blob.name}: ${e.message}`, true);
  }
}

async function expand(li, path) {
  const links = await file.list(path);
  const ul = el('ul');
  for (const link of links) {
    const label = link.kind === 'dataset' ? `${link.dtype} [${link.shape.join('×')}]` : link.kind === 'group' ? '' : link.target || link.kind;
    const item = el('li', { className: link.kind }, el('span', {}, link.name, el('span', { className: 'kind', textContent: label })));
    item.dataset.path = link.path;
    item.querySelector('span').onclick = async (ev) => {
      ev.stopPropagation();
      if (link.kind === 'group') {
        if (item.classList.toggle('open')) {
          if (!item.querySelector('ul')) await expand(item, link.path);
        } else {
          item.querySelector('ul')?.remove();
        }
      }
      await select(item, link.path, link.kind);
    };
    ul.append(item);
  }
  li.querySelector('ul')?.remove();
  li.append(ul);
  showStats();
}

function clearDetail() {
  for (const id of ['info', 'attrs', 'values']) $(id).replaceChildren();
  $('obj-path').textContent = '';
  $('values-note').textContent = '';
  $('plot').style.display = 'none';
}

function row(...cells) {
  return el('tr', {}, ...cells.map((c, i) => el(i === 0 ? 'th' : 'td', { textContent: String(c) })));
}

function fmtValue(v) {
  if (Array.isArray(v)) return v.length > 20 ? `[${v.slice(0, 20).map(fmtValue).join(', ')}, …]` : `[${v.map(fmtValue).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return '—';
  return String(v);
}

async function select(li, path, kind) {
  document.querySelectorAll('nav li.selected').forEach((n) => n.classList.remove('selected'));
  li.classList.add('selected');
  clearDetail();
  $('obj-path').textContent = path;
  if (kind === 'soft' || kind === 'external' || kind === 'user' || kind === 'error') {
    $('info').append(row('kind', kind));
    return;
  }
  try {
    const info = await file.info(path);
    $('info').append(row('kind', info.kind), row('address', info.address));
    if (info.kind === 'dataset') {
      $('info').append(
        row('datatype', info.dtype),
        row('shape', `[${info.shape.join(', ')}]`),
        row('max shape', `[${info.maxshape.map((d) => (d === null ? '∞' : d)).join(', ')}]`),
        row('layout', info.layout + (info.chunks ? ` [${info.chunks.join(', ')}]` : '')),
        row('filters', info.filters.join(', ') || 'none'),
      );
    }
    const attrs = await file.attrs(path);
    if (!attrs.length) $('attrs').append(el('tr', {}, el('td', { textContent: 'none' })));
    if (attrs.length) $('attrs').append(el('tr', {}, el('th', { textContent: 'name' }), el('th', { textContent: 'type' }), el('th', { textContent: 'value' })));
    for (const a of attrs) $('attrs').append(el('tr', {}, el('td', { textContent: a.name }), el('td', { textContent: `${a.dtype} [${a.shape.join('×')}]` }), el('td', { textContent: fmtValue(a.value) })));
    if (info.kind === 'dataset') await showValues(path, info);
  } catch (e) {
    $('values-note').textContent = e.message;
    $('values-note').className = 'error';
  }
  showStats();
}

function toNumbers(data) {
  return data instanceof BigInt64Array || data instanceof BigUint64Array ? Float64Array.from(data, Number) : data;
}

async function showValues(path, info) {
  const shape = info.shape;
  if (info.strings) {
    const strs = await file.readStrings(path);
    const t = $('values');
    strs.slice(0, TABLE_ROWS).forEach((s, i) => t.append(row(i, s)));
    $('values-note').textContent = strs.length > TABLE_ROWS ? `first ${TABLE_ROWS} of ${strs.length}` : '';
    return;
  }
  if (!info.element) {
    $('values-note').textContent = `values of type ${info.dtype} are not displayed`;
    return;
  }
  const rank = shape.length;
  if (rank === 0) {
    const r = await file.read(path);
    $('values').append(row('value', String(r.data[0])));
    return;
  }
  if (shape.some((d) => d === 0)) {
    $('values-note').textContent = 'empty';
    return;
  }
  // The displayed part: the first MAX_1D elements (1-D) or the top-left MAX_2D² block of
  // the first 2-D slice (rank >= 2); only its chunks are read.
  const start = shape.map(() => 0);
  const count = shape.map((d, i) => (rank === 1 ? Math.min(d, MAX_1D) : i < rank - 2 ? 1 : Math.min(d, MAX_2D)));
  const r = await file.read(path, { start, count });
  const data = toNumbers(r.data);
  const note = [];
  if (count.some((c, i) => c < shape[i])) note.push(`showing [${count.map((c) => `0:${c}`).join(', ')}] of [${shape.join(', ')}]`);
  $('values-note').textContent = note.join('; ');
  if (rank === 1) {
    fillTable1(data);
    plotLine(data);
  } else {
    const rows = count[rank - 2];
    const cols = count[rank - 1];
    fillTable2(data, rows, cols);
    plotImage(data, rows, cols);
  }
}

function fmtNum(v) {
  return Number.isInteger(v) ? String(v) : Number(v).toPrecision(6).replace(/\.?0+$/, '');
}

function fillTable1(data) {
  const t = $('values');
  t.append(el('tr', {}, el('th', { textContent: 'index' }), el('th', { textContent: 'value' })));
  for (let i = 0; i < Math.min(data.length, TABLE_ROWS); i++) t.append(el('tr', {}, el('th', { textContent: i }), el('td', { textContent: fmtNum(data[i]) })));
}

function fillTable2(data, rows, cols) {
  const t = $('values');
  const nc = Math.min(cols, TABLE_COLS);
  const head = el('tr', {}, el('th'));
  for (let j = 0; j < nc; j++) head.append(el('th', { textContent: j }));
  t.append(head);
  for (let i = 0; i < Math.min(rows, TABLE_ROWS); i++) {
    const tr = el('tr', {}, el('th', { textContent: i }));
    for (let j = 0; j < nc; j++) tr.append(el('td', { textContent: fmtNum(data[i * cols + j]) }));
    t.append(tr);
  }
}

function range(data) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (lo === Infinity) return [0, 1];
  return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
}

function plotLine(data) {
  const c = $('plot');
  c.width = 640;
  c.height = 320;
  c.style.display = 'block';
  const g = c.getContext('2d');
  const pad = 40;
  const [lo, hi] = range(data);
  g.clearRect(0, 0, c.width, c.height);
  g.strokeStyle = '#999';
  g.strokeRect(pad, 10, c.width - pad - 10, c.height - pad - 10);
  g.fillStyle = '#555';
  g.font = '11px sans-serif';
  g.fillText(fmtNum(hi), 2, 18);
  g.fillText(fmtNum(lo), 2, c.height - pad);
  g.fillText('0', pad, c.height - pad + 14);
  g.fillText(String(data.length - 1), c.width - 40, c.height - pad + 14);
  const w = c.width - pad - 10;
  const h = c.height - pad - 10;
  g.strokeStyle = '#24425f';
  g.lineWidth = 1.5;
  g.beginPath();
  const n = data.length;
  const step = Math.max(1, Math.floor(n / (w * 2)));
  let first = true;
  for (let i = 0; i < n; i += step) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    const x = pad + (n === 1 ? w / 2 : (i / (n - 1)) * w);
    const y = 10 + h - ((v - lo) / (hi - lo)) * h;
    if (first) g.moveTo(x, y);
    else g.lineTo(x, y);
    first = false;
  }
  g.stroke();
}

// A viridis-like colormap (5 stops, linear interpolation).
const STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function color(t) {
  const x = Math.min(Math.max(t, 0), 1) * (STOPS.length - 1);
  const i = Math.min(Math.floor(x), STOPS.length - 2);
  const f = x - i;
  return STOPS[i].map((a, k) => a + (STOPS[i + 1][k] - a) * f);
}

function plotImage(data, rows, cols) {
  const c = $('plot');
  c.width = cols;
  c.height = rows;
  const scale = Math.max(1, Math.floor(Math.min(640 / cols, 480 / rows)));
  c.style.width = `${cols * scale}px`;
  c.style.height = `${rows * scale}px`;
  c.style.imageRendering = 'pixelated';
  c.style.display = 'block';
  const g = c.getContext('2d');
  const img = g.createImageData(cols, rows);
  const [lo, hi] = range(data);
  for (let i = 0; i < rows * cols; i++) {
    const v = data[i];
    const [r, gg, b] = Number.isFinite(v) ? color((v - lo) / (hi - lo)) : [255, 0, 255];
    img.data[4 * i] = r;
    img.data[4 * i + 1] = gg;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = 255;
  }
  g.putImageData(img, 0, 0);
}

$('file-input').addEventListener('change', (e) => {
  const f = e.target.files[0];
  if (f) openFile(f);
});
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', (e) => {
  if (e.target === $('drop-overlay') || e.relatedTarget === null) document.body.classList.remove('dragging');
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  const f = e.dataTransfer.files[0];
  if (f) openFile(f);
});

h5.ready().then(
  () => (document.body.dataset.ready = 'true'),
  (e) => status(`cannot load h5kit: ${e.message}`, true),
);
