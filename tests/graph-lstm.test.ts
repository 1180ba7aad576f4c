/**
 * @file `tapegrad graph lstm` (issue #27, Graphs): an LSTMCell unrolled over a sequence, drawn one box
 * per step labelled with the gradient norms flowing into it, or every step's gates drawn out. The
 * gates and the per-step norms are checked against the LSTM equations written out here in float64
 * with tg.grad; the DOT is deterministic, the SVG well-formed, and the CLI writes the files. Also the
 * reusable parts in src/viz: repeated module calls numbered, gradNorms from `.grad` or a traced pass,
 * and an argument of a module's forward (h_0) drawn outside the module.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import * as tg from '../src';
import { run } from '../src/cli/graph';
import { lstmGraph } from '../src/gallery/lstm';
import { launchBrowser, PageWatch, watchedPage } from './browser-harness';
import { capture } from './cli-capture';
import { findAll, labelOf, parseDot, parseXml } from './viz-helpers';

jest.setTimeout(180_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-graph-lstm-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const f64 = (t: tg.Tensor, requiresGrad = false) => tg.tensor(Array.from(t.data), { shape: [...t.shape], dtype: 'float64', requiresGrad });

/**
 * The example's forward pass from its inputs and weights, in float64, written from the LSTM equations
 * (PyTorch's gate order i, f, g, o) without nn.LSTMCell: the states and the gates of each step.
 */
function reference(g: ReturnType<typeof lstmGraph>) {
  const H = g.cell.hiddenSize;
  const [wih, whh, bih, bhh] = [g.cell.weight_ih, g.cell.weight_hh, g.cell.bias_ih!, g.cell.bias_hh!].map((t) => f64(t));
  const T = g.x.shape[0];
  const h = [f64(g.h[0], true)];
  const c = [f64(g.c[0], true)];
  const gates: Record<string, tg.Tensor>[] = [{}];
  const block = (z: tg.Tensor, k: number) => tg.slice(z, [0, k * H], [1, (k + 1) * H]);
  for (let t = 1; t <= T; t++) {
    const xt = tg.slice(f64(g.x), [t - 1, 0], [t, 2]);
    const z = tg.add(tg.add(tg.matmul(xt, tg.transpose(wih)), bih), tg.add(tg.matmul(h[t - 1], tg.transpose(whh)), bhh));
    const [i, f, gg, o] = [tg.sigmoid(block(z, 0)), tg.sigmoid(block(z, 1)), tg.tanh(block(z, 2)), tg.sigmoid(block(z, 3))];
    c.push(tg.add(tg.mul(f, c[t - 1]), tg.mul(i, gg)));
    h.push(tg.mul(o, tg.tanh(c[t])));
    gates.push({ i, f, g: gg, o });
  }
  const d = tg.sub(h[T], f64(g.y));
  const loss = tg.div(tg.sum(tg.mul(d, d)), H);
  return { h, c, gates, loss };
}

const norm = (t: tg.Tensor) => Math.sqrt(Array.from(t.data).reduce((s, v) => s + v * v, 0));

/** `‖∂L/∂name‖ = v` lines of a DOT text, by name. */
function normsIn(dot: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of dot.matchAll(/‖∂L\/∂([^‖]+)‖ = ([-\d.e]+)/g)) out.set(m[1], Number(m[2]));
  return out;
}

describe('the folded sequence: one box per step', () => {
  const g = lstmGraph();
  const dot = tg.viz.toDot(g.roots, g.options);

  test('six boxes, each naming its step, with x_t, h_t and c_t between them', () => {
    const { nodes } = parseDot(dot);
    const boxes = nodes.filter((n) => n.attributes.get('shape') === 'box3d').map(labelOf);
    expect(boxes).toHaveLength(6);
    for (let t = 1; t <= 6; t++) expect(boxes.filter((l) => l.includes(`call ${t} of 6 · 17 ops`))).toHaveLength(1);
    const names = nodes.map(labelOf).flatMap((l) => [...l.matchAll(/<B>([^<]+)<\/B>/g)].map((m) => m[1]));
    for (let t = 1; t <= 6; t++) expect(names).toEqual(expect.arrayContaining([`x_${t}`, `h_${t}`]));
    // c_6 is not drawn: nothing reads it.
    for (let t = 1; t <= 5; t++) expect(names).toContain(`c_${t}`);
    expect(names).not.toContain('c_6');
    // h_0 and c_0 take gradients but are arguments of the cell, not its parameters: drawn outside box 1.
    expect(names).toEqual(expect.arrayContaining(['h_0', 'c_0', 'weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'L']));
  });

  test('each box carries ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖, equal to tg.grad of the float64 equations', () => {
    const ref = reference(g);
    const T = 6;
    const grads = tg.grad(ref.loss, [...ref.h.slice(1), ...ref.c.slice(1, T)]);
    const labels = normsIn(dot);
    // h_1 … h_6 and c_1 … c_5 leave their boxes (c_6 goes nowhere: the loss reads h_6 only).
    expect([...labels.keys()].sort()).toEqual(
      [...Array.from({ length: T }, (_, k) => `h_${k + 1}`), ...Array.from({ length: T - 1 }, (_, k) => `c_${k + 1}`)].sort(),
    );
    for (let t = 1; t <= T; t++) {
      const want = norm(grads[t - 1]!);
      expect(Math.abs(labels.get(`h_${t}`)! - want)).toBeLessThanOrEqual(5e-4 * want);
      if (t < T) {
        const wantC = norm(grads[T + t - 1]!);
        expect(Math.abs(labels.get(`c_${t}`)! - wantC)).toBeLessThanOrEqual(5e-4 * wantC);
      }
    }
    // The example shows gradients vanishing through time: ‖∂L/∂h_1‖ is under a hundredth of ‖∂L/∂h_6‖.
    expect(labels.get('h_1')!).toBeLessThan(labels.get('h_6')! / 100);
    // The loss's value and h_0's gradient agree with the reference too.
    expect(g.loss.item()).toBeCloseTo(ref.loss.item(), 6);
    const again = reference(g);
    const [gh0] = tg.grad(again.loss, [again.h[0]]);
    Array.from(g.h[0].grad!.data).forEach((v, k) => expect(v).toBeCloseTo(gh0!.data[k], 6));
  });

  test('the same graph gives the same DOT, whatever ran in between', () => {
    tg.viz.toDot(tg.viz.namedGraph('cnn').roots);
    const again = lstmGraph();
    expect(tg.viz.toDot(again.roots, again.options)).toBe(dot);
    const named = tg.viz.namedGraph('lstm');
    expect(tg.viz.toDot(named.roots, named.options)).toBe(dot);
    // Two steps, snapshot-tested: a change to what the drawing says shows up in review.
    const two = lstmGraph({ steps: 2 });
    expect(tg.viz.toDot(two.roots, two.options)).toMatchSnapshot();
  });

  test('the SVG is well-formed XML and shows the boxes and their norms', async () => {
    const svg = parseXml(await tg.viz.toSvg(dot));
    expect(svg.name).toBe('svg');
    const texts = findAll(svg, 'text').map((t) => t.text);
    expect(texts.filter((t) => /^call \d of 6 · 17 ops$/.test(t))).toHaveLength(6);
    expect(texts.filter((t) => /^‖∂L\/∂h_\d‖ = /.test(t))).toHaveLength(6);
  });
});

describe('the expanded steps: every gate drawn, with values and gradients', () => {
  const g = lstmGraph({ steps: 2, hidden: 3, expand: true });
  const dot = tg.viz.toDot(g.roots, g.options);
  const { nodes, clusters } = parseDot(dot);

  test('the gates of each step are named i_t, f_t, g_t, o_t, made by sigmoid, sigmoid, tanh, sigmoid', () => {
    const byName = new Map<string, tg.Tensor>();
    for (const v of tg.viz.viewGraph(g.roots).tensors) if (v.tensor.name) byName.set(v.tensor.name, v.tensor);
    const ref = reference(g);
    for (const t of [1, 2]) {
      for (const [gate, op] of [
        ['i', 'sigmoid'],
        ['f', 'sigmoid'],
        ['g', 'tanh'],
        ['o', 'sigmoid'],
      ]) {
        const tensor = byName.get(`${gate}_${t}`)!;
        expect(tensor.node!.op).toBe(op);
        expect(tensor.shape).toEqual([1, 3]);
        const want = Array.from(ref.gates[t][gate].data);
        Array.from(tensor.data).forEach((v, k) => expect(v).toBeCloseTo(want[k], 6));
        // Drawn with its name, its values and its gradient.
        const label = nodes.map(labelOf).find((l) => l.includes(`<B>${gate}_${t}</B>`))!;
        expect(label).toContain('>value<');
        expect(label).toContain('>grad<');
      }
      for (const name of [`gates_${t}`, `c_${t}`, `h_${t}`, `tanh(c_${t})`, `i_${t}⊙g_${t}`, `f_${t}⊙c_${t - 1}`]) {
        expect(nodes.map(labelOf).filter((l) => l.includes(`<B>${name}</B>`))).toHaveLength(1);
      }
    }
  });

  test('one frame per step, numbered and labelled with its gradient norms; the drawing runs top to bottom', () => {
    const frames = clusters.filter((c) => c.label.includes('LSTMCell'));
    expect(frames).toHaveLength(2);
    expect(frames.map((c) => /call (\d) of 2/.exec(c.label)![1]).sort()).toEqual(['1', '2']);
    expect(frames.every((c) => c.label.includes('‖∂L/∂h_'))).toBe(true);
    expect(dot).toContain('rankdir = "TB"');
  });
});

describe('the viz features behind it, on a user graph', () => {
  test('gradNorms reads a traced backward pass when nothing kept .grad; repeated calls are numbered', () => {
    const r = tg.rng('user-lstm');
    const cell = new tg.nn.GRUCell(2, 3, { rng: r });
    let h = tg.zeros([1, 3]);
    const hs: tg.Tensor[] = [];
    for (let t = 0; t < 3; t++) {
      h = cell.forward(tg.randn([1, 2], { rng: r }), h);
      h.name = `state${t + 1}`;
      hs.push(h);
    }
    const loss = tg.sum(h);
    const hGrads = tg.grad(loss, hs, { retainGraph: true });
    tg.viz.traceBackward(() => loss.backward());
    expect(hs.every((x) => x.grad === null)).toBe(true);
    const dot = tg.viz.toDot(loss, { collapse: 0, gradNorms: true });
    const labels = normsIn(dot);
    hs.forEach((x, k) => expect(labels.get(x.name!)).toBeCloseTo(norm(hGrads[k]!), 3));
    expect(dot).toContain('call 3 of 3');
    // Without gradNorms nothing is added; the call numbers stay.
    const plain = tg.viz.toDot(loss, { collapse: 0 });
    expect(plain).not.toContain('‖');
    expect(plain).toContain('call 1 of 3 · ');
  });

  test("nn.RNN's own step scopes get the norms too (collapse: 1: one box per step)", () => {
    const gru = new tg.nn.RNN(2, 3, { rng: tg.rng('user-nn-lstm') });
    const [out] = gru.forward(tg.randn([4, 1, 2], { rng: tg.rng('seq') }));
    const loss = tg.sum(tg.slice(out, [3], [4]));
    tg.viz.traceBackward(() => loss.backward());
    const { nodes } = parseDot(tg.viz.toDot(loss, { collapse: 1, gradNorms: true }));
    const steps = nodes.map(labelOf).filter((l) => /l0\.t\d: RNN step/.test(l));
    expect(steps).toHaveLength(4);
    expect(steps.every((l) => l.includes('‖∂L/∂'))).toBe(true);
  });

  test.each(['LSTM', 'GRU'] as const)(
    "nn.%s's sequence scope gets the norms too (collapse: 1: one box per layer and direction, Note [sequence path])",
    (kind) => {
      const x = tg.randn([4, 1, 2], { rng: tg.rng('seq') });
      const opts = { rng: tg.rng('user-nn-lstm') };
      const [out] = kind === 'LSTM' ? new tg.nn.LSTM(2, 3, opts).forward(x) : new tg.nn.GRU(2, 3, opts).forward(x);
      const loss = tg.sum(tg.slice(out, [3], [4]));
      tg.viz.traceBackward(() => loss.backward());
      const { nodes } = parseDot(tg.viz.toDot(loss, { collapse: 1, gradNorms: true }));
      const boxes = nodes.map(labelOf).filter((l) => new RegExp(`l0\\.seq: ${kind} sequence`).test(l));
      expect(boxes).toHaveLength(1);
      expect(boxes[0]).toContain('‖∂L/∂');
    },
  );
});

describe('tapegrad graph lstm', () => {
  test('writes the folded sequence as SVG and the expanded steps as DOT, named after the flags', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await capture(() => run(['lstm']));
      expect(r).toEqual({ code: 0, out: ['tapegrad graph: wrote lstm.svg'], err: [] });
      expect(parseXml(fs.readFileSync(path.join(dir, 'lstm.svg'), 'utf8')).name).toBe('svg');
      const e = await capture(() => run(['lstm', '--expand', '--steps', '3', '--hidden', '4']));
      expect(e.out).toEqual(['tapegrad graph: wrote lstm-expanded-steps3-hidden4.svg']);
    } finally {
      process.chdir(cwd);
    }
    const file = path.join(dir, 'cell.dot');
    expect((await capture(() => run(['lstm', '--expand', '--steps', '1', '--out', file]))).code).toBe(0);
    const g = tg.viz.namedGraph('lstm', { expand: true, steps: 1 });
    expect(fs.readFileSync(file, 'utf8')).toBe(tg.viz.toDot(g.roots, g.options));
    expect(fs.readFileSync(file, 'utf8')).toContain('<B>f_1</B>');
  });

  test('writes a graph page whose data holds the traced backward pass', async () => {
    const file = path.join(dir, 'lstm.html');
    expect((await capture(() => run(['lstm', '--steps', '3', '--out', file]))).code).toBe(0);
    const html = fs.readFileSync(file, 'utf8');
    const data = JSON.parse(/<script type="application\/json" id="graph-data">(.*?)<\/script>/s.exec(html)![1]) as { traced: boolean };
    expect(data.traced).toBe(true);
  });

  test("--grad-norms labels a script's module boxes with the norms of a traced pass", async () => {
    const script = path.join(dir, 'shared.js');
    fs.writeFileSync(
      script,
      `const tg = require(${JSON.stringify(path.join(__dirname, '..', 'src'))});
module.exports = () => {
  const layer = new tg.nn.Linear(2, 2, { rng: tg.rng(3) });
  let y = tg.ones([1, 2]);
  for (let k = 0; k < 3; k++) { y = layer.forward(y); y.name = 'y' + (k + 1); }
  const loss = y.sum();
  tg.viz.traceBackward(() => loss.backward());
  return loss;
};`,
    );
    const file = path.join(dir, 'shared.dot');
    expect((await capture(() => run(['--script', script, '--grad-norms', '--out', file]))).code).toBe(0);
    const dot = fs.readFileSync(file, 'utf8');
    for (const k of [1, 2, 3]) expect(dot).toContain(`call ${k} of 3`);
    expect([...normsIn(dot).keys()].sort()).toEqual(['y1', 'y2', 'y3']);
    // The last layer's output is the loss's input: its gradient is all ones.
    expect(normsIn(dot).get('y3')).toBeCloseTo(Math.SQRT2, 3);
  });

  test.each([
    [['lstm', '--steps', '0'], "tapegrad graph: --steps must be an integer from 1 to 32, got '0'"],
    [['lstm', '--hidden', '17'], "tapegrad graph: --hidden must be an integer from 1 to 16, got '17'"],
    [['lstm', '--steps', 'x'], "tapegrad graph: --steps must be an integer from 1 to 32, got 'x'"],
    [['cnn', '--steps', '3'], 'tapegrad graph: --steps applies to lstm, not cnn'],
  ])('bad arguments %j exit 2 with a one-line message', async (args, message) => {
    const r = await capture(() => run(args));
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`${message} (tapegrad graph --help shows the options)`]);
  });

  test('namedGraph checks its sizes', () => {
    expect(() => tg.viz.namedGraph('lstm', { steps: 0 })).toThrow('namedGraph: lstm steps must be an integer from 1 to 32, got 0');
    expect(() => tg.viz.namedGraph('lstm', { hidden: 2.5 })).toThrow(
      'namedGraph: lstm hidden size must be an integer from 1 to 16, got 2.5',
    );
    expect(() => tg.viz.namedGraph('cnn', { steps: 3 })).toThrow("namedGraph: steps applies to lstm, not 'cnn'");
  });
});

describe('the graph page, in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(name: string, html: string): Promise<{ page: Page; watch: PageWatch }> {
    const file = path.join(dir, name);
    fs.writeFileSync(file, html);
    const opened = await watchedPage(browser);
    await opened.page.goto(pathToFileURL(file).href);
    await opened.page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
    return opened;
  }
  const current = (page: Page) =>
    page.$$eval('g.node.current', (els) => els.map((e) => ({ id: e.getAttribute('data-id')!, text: e.textContent ?? '' })));
  const shownMarks = (page: Page) =>
    page.$$eval('text.step', (els) => els.filter((e) => (e as SVGElement).style.display !== 'none').map((e) => e.textContent ?? ''));

  test('the folded sequence: stepping back through the pass walks the boxes from the last step to the first', async () => {
    const g = lstmGraph();
    const { page, watch } = await open('lstm.html', await tg.viz.toHtml(g.roots, g.options));
    expect(await page.$eval('#stepper', (el) => (el as HTMLElement).hidden)).toBe(true);
    await page.click('#backward');
    expect(await page.$eval('#stepper', (el) => (el as HTMLElement).hidden)).toBe(false);
    const last = Number(await page.evaluate(() => document.body.dataset.backwardStep));
    // The loss's four ops, then 17 rules per step box, and the six slices of x: every rule has a step.
    const rules = (JSON.parse(await page.$eval('#graph-data', (el) => el.textContent!)) as { rules: { step: number; node: string }[] })
      .rules;
    expect(rules.map((r) => r.step)).toEqual(Array.from({ length: last }, (_, k) => k + 1));
    // Each box is marked with the range of steps it ran, the latest box first.
    const ranges = (await shownMarks(page)).filter((t) => /^#\d+–\d+$/.test(t));
    // Six step boxes and the loss, mseLoss, a composite drawn as one node whose four rules ran first.
    expect(ranges.filter((r) => r !== '#1–4')).toHaveLength(6);
    expect(ranges).toContain('#1–4');
    // Step 1 is the loss's last rule, nearest the output; then the pass enters box 6, and ends in box 1.
    await page.$eval('#step', (el) => {
      (el as HTMLInputElement).value = '1';
      el.dispatchEvent(new Event('input'));
    });
    expect((await current(page)).map((c) => c.text)).toEqual([expect.stringMatching(/mseLoss/)]);
    expect(await page.$eval('#step-label', (el) => el.textContent)).toBe(`step 1 of ${last}: mseLoss`);
    // Only the marks of the boxes whose rules have started show.
    expect((await shownMarks(page)).filter((t) => t.startsWith('#'))).toEqual(['#1–4']);
    const boxAt = async (k: number) => {
      await page.$eval(
        '#step',
        (el, v) => {
          (el as HTMLInputElement).value = String(v);
          el.dispatchEvent(new Event('input'));
        },
        k,
      );
      return (await current(page)).map((c) => /call (\d) of 6/.exec(c.text)?.[1] ?? c.text);
    };
    // Where the pass first enters each box: box 6 first, box 1 last (the input-side rules of a box,
    // x_t's projection, may run later: they wait for nothing but the box's gates).
    const entries = [...new Set(rules.filter((r) => r.node.startsWith('m')).map((r) => r.node))].map(
      (id) => rules.find((r) => r.node === id)!.step,
    );
    const calls: string[] = [];
    for (const k of entries) calls.push(...(await boxAt(k)));
    expect(calls).toEqual(['6', '5', '4', '3', '2', '1']);
    // The arrows move one rule at a time.
    const at = entries[2];
    await boxAt(at);
    await page.click('#step-prev');
    expect(Number(await page.evaluate(() => document.body.dataset.backwardStep))).toBe(at - 1);
    await page.click('#step-next');
    await page.click('#step-next');
    expect(Number(await page.evaluate(() => document.body.dataset.backwardStep))).toBe(at + 1);
    expect(await boxAt(at + 1)).toEqual(['4']);
    // The box running now is on screen.
    const onScreen = await page.evaluate(() => {
      const r = document.querySelector('g.node.current')!.getBoundingClientRect();
      const v = document.getElementById('viewport')!.getBoundingClientRect();
      return r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom;
    });
    expect(onScreen).toBe(true);
    await page.screenshot({ path: path.join(os.tmpdir(), 'tapegrad-lstm-page.png') });
    // A box's panel names it, with its gradient norms and its steps.
    const box = rules.find((r) => r.node.startsWith('m'))!.node;
    await page.evaluate((target) => {
      const n = Array.from(document.querySelectorAll('g.node')).find((e) => e.getAttribute('data-id') === target)!;
      n.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    }, box);
    expect(await page.$eval('#panel', (el) => el.textContent)).toMatch(
      /LSTMCell \(call 6 of 6 · 17 ops; ‖∂L\/∂h_6‖ = [\d.]+, folded\).*backward steps \d+–\d+ \(17 rules\)/,
    );
    expect(watch.problems).toEqual([]);
  });

  test('the expanded steps: each gate op gets its step; the repeated steps can be folded', async () => {
    const g = lstmGraph({ steps: 3, expand: true });
    const { page, watch } = await open('lstm-expanded.html', await tg.viz.toHtml(g.roots, g.options));
    await page.click('#backward');
    const marks = await shownMarks(page);
    // Three sigmoids and a tanh per step, each with its step number; ‖g‖ on the edges.
    expect(marks.filter((t) => /^#\d+$/.test(t)).length).toBeGreaterThan(3 * 17);
    expect(marks.some((t) => t.startsWith('‖g‖'))).toBe(true);
    const before = Number(await page.evaluate(() => document.body.dataset.visibleNodes));
    expect(await page.$eval('#fold-repeats', (el) => (el as HTMLElement).hidden)).toBe(false);
    await page.click('#fold-repeats');
    expect(Number(await page.evaluate(() => document.body.dataset.visibleNodes))).toBeLessThan(before);
    await page.screenshot({ path: path.join(os.tmpdir(), 'tapegrad-lstm-expanded-page.png') });
    expect(watch.problems).toEqual([]);
  });
});
