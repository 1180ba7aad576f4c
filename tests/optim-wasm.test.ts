/**
 * The WebAssembly steps of Adam/AdamW, RMSprop and Adagrad against the TypeScript loops of
 * src/kernels/optimizers.ts: bit for bit, parameter and every state buffer, for every option that
 * changes the loop, on sizes with a SIMD tail. (float32 +, −, ×, ÷ and √ are exactly rounded in both,
 * so the loops must agree exactly; SGD's step is checked in kernels-wasm.test.ts.)
 */
import * as tg from '../src';
import { adagradStep, adamStep, rmspropStep } from '../src/kernels/js/optimizers';
import type { AdagradStep, AdamStep, RmspropStep } from '../src/kernels/types';
import { adagradStepWasm, adamStepWasm, rmspropStepWasm } from '../src/kernels/wasm/optimizers';
import { loadRuntime } from '../src/kernels/wasm/runtime';

const { runtime, reason } = loadRuntime({ threads: 1, allowRelaxed: true });
if (runtime === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
const arenas = [
  ['the serial arena', runtime.serial],
  ['the shared arena', runtime],
] as const;

const random = tg.rng('optim wasm');

/** Values in [-1, 1) with exact zeros and larger magnitudes mixed in; `positive` for second moments. */
function fill(n: number, positive = false): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = random.next();
    x[i] = u < 0.05 ? 0 : u < 0.1 ? (random.next() - 0.5) * 64 : random.next() * 2 - 1;
    if (positive) x[i] = Math.abs(x[i]) * 0.1;
  }
  return x;
}

const SIZES = [4099, 10007];

describe.each(arenas)('%s', (_label, rt) => {
  test.each([
    ['Adam', { wd: 0, decay: 1 }, false],
    ['Adam with weight decay', { wd: 0.01, decay: 1 }, false],
    ['Adam amsgrad', { wd: 0, decay: 1 }, true],
    ['AdamW (decoupled decay), amsgrad', { wd: 0, decay: 1 - 1e-3 * 0.01 }, true],
  ] as const)('adamStep: %s, the same bits as the TypeScript loop', (_l, o, amsgrad) => {
    const h: AdamStep = {
      ...o,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      stepSize: 1e-3 / (1 - 0.9 ** 3),
      correction2: Math.sqrt(1 - 0.999 ** 3),
    };
    for (const n of SIZES) {
      const [x, g, m, v, vmax] = [fill(n), fill(n), fill(n), fill(n, true), amsgrad ? fill(n, true) : null];
      const js = [x.slice(), m.slice(), v.slice(), vmax?.slice() ?? null] as const;
      adamStep(js[0], g, js[1], js[2], js[3], h);
      const wasm = [x.slice(), m.slice(), v.slice(), vmax?.slice() ?? null] as const;
      adamStepWasm(rt, wasm[0], g, wasm[1], wasm[2], wasm[3], h);
      expect(wasm).toEqual(js);
      expect(js[0]).not.toEqual(x);
    }
  });

  test.each([
    ['plain', { wd: 0, momentum: 0 }, false],
    ['centered', { wd: 0, momentum: 0 }, true],
    ['momentum, weight decay', { wd: 0.05, momentum: 0.9 }, false],
    ['centered, momentum', { wd: 0, momentum: 0.5 }, true],
  ] as const)('rmspropStep: %s, the same bits as the TypeScript loop', (_l, o, centered) => {
    const h: RmspropStep = { ...o, alpha: 0.99, eps: 1e-8, lr: 0.01 };
    for (const n of SIZES) {
      const sq = fill(n, true);
      // centered: keep gAvg² below sq so the root stays real (NaN would compare equal anyway).
      const gAvg = centered ? sq.map((s) => Math.sqrt(s) * 0.5) : null;
      const [x, g, buf] = [fill(n), fill(n), o.momentum > 0 ? fill(n) : null];
      const js = [x.slice(), sq.slice(), gAvg?.slice() ?? null, buf?.slice() ?? null] as const;
      rmspropStep(js[0], g, js[1], js[2], js[3], h);
      const wasm = [x.slice(), sq.slice(), gAvg?.slice() ?? null, buf?.slice() ?? null] as const;
      rmspropStepWasm(rt, wasm[0], g, wasm[1], wasm[2], wasm[3], h);
      expect(wasm).toEqual(js);
      expect(js[0]).not.toEqual(x);
    }
  });

  test.each([
    ['plain', 0],
    ['weight decay', 0.1],
  ])('adagradStep: %s, the same bits as the TypeScript loop', (_l, wd) => {
    const h: AdagradStep = { wd, eps: 1e-10, clr: 0.01 / (1 + 2 * 0.01) };
    for (const n of SIZES) {
      const [x, g, sum] = [fill(n), fill(n), fill(n, true)];
      const js = [x.slice(), sum.slice()] as const;
      adagradStep(js[0], g, js[1], h);
      const wasm = [x.slice(), sum.slice()] as const;
      adagradStepWasm(rt, wasm[0], g, wasm[1], h);
      expect(wasm).toEqual(js);
      expect(js[0]).not.toEqual(x);
    }
  });
});

test('the optimizers dispatch large float32 parameters to WebAssembly and still match the float64 loop', () => {
  const p32 = tg.randn([5000], { rng: tg.rng('dispatch') });
  p32.requiresGrad = true;
  const p64 = tg.tensor(Float64Array.from(p32.data), { shape: [5000], dtype: 'float64', requiresGrad: true });
  const [a, b] = [new tg.optim.AdamW([p32], { lr: 0.01, amsgrad: true }), new tg.optim.AdamW([p64], { lr: 0.01, amsgrad: true })];
  const g = tg.randn([5000], { rng: tg.rng('dispatch grad') });
  for (let t = 0; t < 5; t++) {
    p32.grad = g;
    p64.grad = tg.tensor(Float64Array.from(g.data), { shape: [5000], dtype: 'float64' });
    a.step();
    b.step();
  }
  let worst = 0;
  for (let i = 0; i < 5000; i++) worst = Math.max(worst, Math.abs(p32.data[i] - p64.data[i]) / (1 + Math.abs(p64.data[i])));
  expect(worst).toBeLessThan(1e-5);
});
