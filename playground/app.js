// The playground's page: the tutorial's two convolutions drawn live, and the training worker's
// progress. Everything is computed here with tapegrad's browser module; nothing leaves the page.
import * as tg from './tapegrad.mjs';

const $ = (id) => document.getElementById(id);
const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/\.?0+$/, ''));
const show = (t) => `(${Array.from(t.data, fmt).join(', ')})`;

const b = tg.backend();
$('backend').textContent =
  `kernels: ${b.kernels}, ${b.threads} thread${b.threads === 1 ? '' : 's'}${b.reason ? ` (${b.reason})` : ''} · tapegrad ${tg.version}`;

/** Parses "0, 1, 2" into numbers; throws on anything else. */
function numbers(text, what) {
  const parts = text.split(/[\s,;]+/).filter((s) => s !== '');
  const values = parts.map(Number);
  if (parts.length === 0 || values.some((v) => !Number.isFinite(v))) throw new Error(`${what}: write numbers separated by commas`);
  return values;
}

/** Draws the graph into `target`; where Graphviz (itself WebAssembly) cannot run, says so instead. */
async function draw(target, roots, opts) {
  const dot = tg.viz.toDot(roots, opts);
  try {
    target.innerHTML = await tg.viz.toSvg(dot);
  } catch (e) {
    target.innerHTML = '';
    const p = document.createElement('p');
    p.className = 'error';
    p.textContent = `The graph cannot be drawn here: Graphviz runs as WebAssembly, which this page may not compile (${e.message}). Its DOT text has ${dot.split('\n').length} lines.`;
    target.append(p);
  }
  return target.querySelectorAll('g.node').length;
}

// ---- 1. convolution of two signals -----------------------------------------------------------

let conv1dRun = 0;
async function conv1d() {
  const run = ++conv1dRun;
  $('err1').textContent = '';
  try {
    const x = tg.tensor(numbers($('x1').value, 'x'), { dtype: 'float64', requiresGrad: true, name: 'x' });
    const w = tg.tensor(numbers($('w1').value, 'w'), { dtype: 'float64', requiresGrad: true, name: 'w' });
    const y = tg.convolve(x, w, $('mode1').value, { expand: true });
    y.name = 'y';
    y.retainGrad();
    const gy = tg.arange(y.size, { dtype: 'float64' }).add(1);
    y.backward(gy);
    $('y1').textContent = show(y);
    $('gx1').textContent = show(x.grad);
    $('gw1').textContent = show(w.grad);
    const nodes = await draw($('graph1'), [y], {
      values: true,
      grads: true,
      title: `y = convolve(x, w, '${$('mode1').value}'); dL/dy = (1, 2, …)`,
    });
    if (run === conv1dRun) $('graph1').dataset.nodes = String(nodes);
  } catch (e) {
    $('err1').textContent = e.message;
  }
}
for (const id of ['x1', 'w1', 'mode1']) $(id).addEventListener('input', conv1d);

// ---- 2. the convolution layer ----------------------------------------------------------------

const TUTORIAL_X = [
  [
    [1, 1, 0, 2, 0],
    [2, 2, 2, 2, 1],
    [0, 0, 0, 2, 1],
    [2, 2, 2, 2, 1],
    [2, 0, 2, 2, 1],
  ],
  [
    [2, 1, 0, 0, 0],
    [0, 2, 0, 1, 0],
    [1, 0, 1, 2, 0],
    [1, 2, 0, 2, 1],
    [1, 2, 1, 2, 2],
  ],
  [
    [2, 1, 1, 2, 2],
    [1, 1, 1, 0, 0],
    [2, 0, 1, 0, 2],
    [0, 2, 0, 2, 1],
    [0, 0, 2, 1, 0],
  ],
];
const r = tg.rng('tapegrad-conv2d');
const W2 = Array.from({ length: 54 }, () => r.int(3) - 1);
const layer = { stride: 2, padding: 1 };

async function conv2dFused() {
  const x = tg.tensor([TUTORIAL_X], { requiresGrad: true, name: 'x' });
  const w = tg.tensor(W2, { shape: [2, 3, 3, 3], requiresGrad: true, name: 'w' });
  const bias = tg.tensor([1, 0], { requiresGrad: true, name: 'bias' });
  const y = tg.conv2d(x, w, bias, layer);
  y.name = 'y';
  const [n, size, f, s, p] = [5, y.shape[2], 3, 2, 1];
  $('size2').textContent = `(W − F + 2P)/S + 1 = (${n} − ${f} + 2·${p})/${s} + 1 = ${size}, so y is ${size}×${size}×${y.shape[1]}`;
  await draw($('graph2'), [y], { values: true });
}

/**
 * One output of the layer as the tutorial draws it: a product node per input element of its window
 * that is not padding (27 in the interior, fewer at the border), their sum, and the bias.
 */
async function conv2dOne() {
  const [k, i, j] = ['k2', 'i2', 'j2'].map((id) => Number($(id).value));
  const products = [];
  for (let c = 0; c < 3; c++) {
    for (let di = 0; di < 3; di++) {
      for (let dj = 0; dj < 3; dj++) {
        const [row, col] = [i * 2 - 1 + di, j * 2 - 1 + dj];
        if (row < 0 || row >= 5 || col < 0 || col >= 5) continue;
        const x = tg.tensor(TUTORIAL_X[c][row][col], { name: `x[${c},${row},${col}]` });
        const w = tg.tensor(W2[((k * 3 + c) * 3 + di) * 3 + dj], { requiresGrad: true, name: `w[${k},${c},${di},${dj}]` });
        products.push(tg.mul(x, w));
      }
    }
  }
  const bias = tg.tensor([1, 0][k], { requiresGrad: true, name: `bias[${k}]` });
  const y = tg.add(tg.sum(tg.stack(products)), bias);
  y.name = `y[${k},${i},${j}]`;
  // The fused layer gives the same value.
  const fused = tg.conv2d(tg.tensor([TUTORIAL_X]), tg.tensor(W2, { shape: [2, 3, 3, 3] }), tg.tensor([1, 0]), layer);
  const same = fused.data[(k * 3 + i) * 3 + j] === y.item();
  $('y2').textContent =
    `${fmt(y.item())} (${products.length} products and the bias${same ? '; the fused layer agrees' : '; the fused layer DISAGREES'})`;
  const nodes = await draw($('graph2e'), [y], { values: true, rankdir: 'LR' });
  $('graph2e').dataset.nodes = String(nodes);
  $('graph2e').dataset.products = String(products.length);
}
for (const id of ['k2', 'i2', 'j2']) $(id).addEventListener('change', conv2dOne);

// ---- 3. training in a worker -----------------------------------------------------------------

const worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
const history = [];
worker.onmessageerror = () => console.error('training worker: a message could not be read');
worker.onerror = (e) => {
  $('status').textContent = `the training worker failed: ${e.message ?? 'see the console'}`;
  console.error('training worker:', e.message ?? e);
};
worker.onmessage = ({ data }) => {
  if (data.type === 'loading') {
    $('status').textContent = 'worker: loading the digits…';
  } else if (data.type === 'ready') {
    $('status').textContent =
      `worker ready (${data.backend.kernels}, ${data.backend.threads} thread${data.backend.threads === 1 ? '' : 's'})`;
    $('start').disabled = false;
    document.body.dataset.workerReady = 'true';
  } else if (data.type === 'progress') {
    history.push(data);
    $('speed').textContent =
      `step ${data.step}: loss ${data.loss.toFixed(4)}, batch accuracy ${(100 * data.accuracy).toFixed(1)}%, ${Math.round(data.imagesPerSecond)} images/s`;
    plotCurves();
    if (data.filters) drawFilters(data.filters);
  } else if (data.type === 'epoch') {
    $('status').textContent = `epoch ${data.epoch}: test accuracy ${(100 * data.testAccuracy).toFixed(2)}%`;
    drawConfusion(data.confusion);
  } else if (data.type === 'done') {
    $('start').disabled = false;
    $('stop').disabled = true;
    $('status').textContent += data.stopped ? ' (stopped)' : ' (done)';
    document.body.dataset.trained = 'true';
    predict();
  } else if (data.type === 'prediction') {
    const top = data.probabilities.map((p, c) => [p, c]).sort((a, b) => b[0] - a[0]);
    $('prediction').textContent = String(top[0][1]);
    $('probs').textContent = top
      .slice(0, 3)
      .map(([p, c]) => `${c}: ${(100 * p).toFixed(1)}%`)
      .join(' · ');
  } else if (data.type === 'error') {
    $('status').textContent = `error: ${data.message}`;
    $('start').disabled = false;
  }
};
$('start').disabled = true;
$('start').addEventListener('click', () => {
  history.length = 0;
  $('start').disabled = true;
  $('stop').disabled = false;
  document.body.dataset.trained = 'false';
  const steps = Number(new URLSearchParams(location.search).get('steps') ?? '0');
  worker.postMessage({ type: 'train', epochs: Number($('epochs').value), steps });
});
$('stop').addEventListener('click', () => worker.postMessage({ type: 'stop' }));

function plotCurves() {
  const svg = $('curves');
  const [W, H, L, B] = [480, 220, 40, 24];
  const n = history.length;
  const maxLoss = Math.max(...history.map((h) => h.loss), 1e-9);
  const x = (i) => L + ((W - L - 10) * i) / Math.max(1, n - 1);
  const line = (values, scale, color) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${values.map((v, i) => `${x(i).toFixed(1)},${(H - B - (H - B - 10) * (v / scale)).toFixed(1)}`).join(' ')}"/>`;
  svg.innerHTML =
    `<rect x="${L}" y="10" width="${W - L - 10}" height="${H - B - 10}" fill="#fafbfc" stroke="#d8dde3"/>` +
    line(
      history.map((h) => h.loss),
      maxLoss,
      '#c0392b',
    ) +
    line(
      history.map((h) => h.accuracy),
      1,
      '#1f77b4',
    ) +
    `<text x="${L}" y="${H - 6}" font-size="11">steps 1…${history.at(-1)?.step ?? 0}</text>` +
    `<text x="${W - 10}" y="${H - 6}" font-size="11" text-anchor="end"><tspan fill="#c0392b">loss (max ${maxLoss.toFixed(2)})</tspan> · <tspan fill="#1f77b4">batch accuracy</tspan></text>`;
  svg.dataset.points = String(n);
  svg.dataset.losses = JSON.stringify(history.map((h) => h.loss));
}

function drawFilters(filters) {
  const box = $('filters');
  box.innerHTML = '';
  for (const f of filters) {
    const c = document.createElement('canvas');
    c.width = 3;
    c.height = 3;
    c.style.width = '36px';
    c.style.height = '36px';
    const ctx = c.getContext('2d');
    const img = ctx.createImageData(3, 3);
    const lo = Math.min(...f);
    const hi = Math.max(...f);
    f.forEach((v, i) => {
      const g = Math.round((255 * (v - lo)) / (hi - lo || 1));
      img.data.set([g, g, g, 255], 4 * i);
    });
    ctx.putImageData(img, 0, 0);
    box.append(c);
  }
}

function drawConfusion(m) {
  const max = Math.max(...m.flat(), 1);
  $('confusion').innerHTML =
    `<tr><th></th>${m.map((_, c) => `<th>${c}</th>`).join('')}</tr>` +
    m
      .map(
        (row, t) =>
          `<tr><th>${t}</th>${row.map((v, p) => `<td style="background:rgba(${t === p ? '31,119,180' : '192,57,43'},${(v / max).toFixed(2)})">${v || ''}</td>`).join('')}</tr>`,
      )
      .join('');
}

// ---- the drawing pad -------------------------------------------------------------------------

const pad = $('pad');
const ctx = pad.getContext('2d');
let drawing = false;
function clearPad() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad.width, pad.height);
}
clearPad();
function stroke(e) {
  const rect = pad.getBoundingClientRect();
  ctx.fillStyle = '#fff';
  ctx.beginPath();
  ctx.arc(((e.clientX - rect.left) * pad.width) / rect.width, ((e.clientY - rect.top) * pad.height) / rect.height, 11, 0, 2 * Math.PI);
  ctx.fill();
}
pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  stroke(e);
});
pad.addEventListener('pointermove', (e) => drawing && stroke(e));
pad.addEventListener('pointerup', () => {
  drawing = false;
  predict();
});
$('clear').addEventListener('click', () => {
  clearPad();
  $('prediction').textContent = '–';
  $('probs').textContent = '';
});

/** The pad averaged down to the digits' 8×8 grid, in [0, 1]. */
function padPixels() {
  const { data } = ctx.getImageData(0, 0, pad.width, pad.height);
  const cell = pad.width / 8;
  const out = new Array(64).fill(0);
  for (let y = 0; y < pad.height; y++)
    for (let x = 0; x < pad.width; x++) out[Math.floor(y / cell) * 8 + Math.floor(x / cell)] += data[4 * (y * pad.width + x)] / 255;
  return out.map((v) => v / (cell * cell));
}
function predict() {
  if (document.body.dataset.trained === 'true') worker.postMessage({ type: 'predict', pixels: padPixels() });
}

await Promise.all([conv1d(), conv2dFused(), conv2dOne()]);
document.body.dataset.ready = 'true';
