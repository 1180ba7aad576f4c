/**
 * @file Defining a new op: a primitive with a forward and a backward rule (tg.definePrimitive),
 * checked with tg.gradcheck to first and second order. Run: npx ts-node examples/custom-op.ts
 *
 * A forward computes on raw numbers (here a loop over x.data). A backward is written with tapegrad's
 * differentiable ops (tg.mul, tg.sigmoid, …), never with loops, so that gradients of gradients
 * (createGraph, gradcheck's `order: 2`) work without any extra code.
 */
import * as tg from '../src';

/** softplus(x) = log(1 + e^x), computed without overflow: max(x, 0) + log(1 + e^-|x|). */
function softplusValue(v: number): number {
  return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
}

// d softplus / dx = sigmoid(x). The rule multiplies the incoming gradient gy by it.
const softplusOp = tg.definePrimitive('example.softplus', {
  forward: ([x]) => {
    const y = tg.allocate(x.dtype, x.size);
    for (let i = 0; i < y.length; i++) y[i] = softplusValue(x.data[i]);
    return new tg.Tensor(y, x.shape);
  },
  backward: (gy, [x]) => [tg.mul(gy, tg.sigmoid(x))],
});

export function softplus(x: tg.Tensor): tg.Tensor {
  return softplusOp.apply([x], undefined);
}

/**
 * An op with attributes and a saved value: clamp(x, lo, hi). The forward hands its backward the mask
 * of the elements that were not clipped, and `describe` labels the op in graphs (`clamp lo=-1 hi=1`).
 */
interface ClampAttrs {
  lo: number;
  hi: number;
}

const clampOp = tg.definePrimitive<ClampAttrs, tg.Tensor>('example.clamp', {
  forward: ([x], { lo, hi }) => {
    const y = tg.allocate(x.dtype, x.size);
    const inside = tg.allocate(x.dtype, x.size);
    for (let i = 0; i < y.length; i++) {
      const v = x.data[i];
      y[i] = v < lo ? lo : v > hi ? hi : v;
      inside[i] = v >= lo && v <= hi ? 1 : 0;
    }
    // The mask is a constant (no node): its derivative is zero almost everywhere, as clamp's is.
    return { y: new tg.Tensor(y, x.shape), saved: tg.constant(inside, x.shape) };
  },
  backward: (gy, _xs, _y, _attrs, inside) => [tg.mul(gy, inside)],
  describe: ({ lo, hi }) => `lo=${lo} hi=${hi}`,
});

export function clamp(x: tg.Tensor, lo: number, hi: number): tg.Tensor {
  if (!(lo <= hi)) throw new Error(`clamp: lo ${lo} must not exceed hi ${hi} (input ${tg.fmt(x.shape)})`);
  return clampOp.apply([x], { lo, hi });
}

/**
 * A classic mistake, for contrast: a rule that returns sigmoid(x) and forgets to multiply by gy.
 * With gy = 1 it would look right; gradcheck draws a random gy, so it is caught.
 */
const forgetfulOp = tg.definePrimitive('example.softplusForgetsGy', {
  forward: (xs) => softplusOp.rule.forward(xs, undefined),
  backward: (_gy, [x]) => [tg.sigmoid(x)],
});

export interface CustomOpResult {
  softplus: { order1: tg.GradcheckResult; order2: tg.GradcheckResult };
  clamp: { order1: tg.GradcheckResult; order2: tg.GradcheckResult };
  forgetful: tg.GradcheckResult;
  /** The DOT text of a small graph using the new ops: they show up like any other op. */
  dot: string;
}

export function main(log: (line: string) => void = console.log): CustomOpResult {
  const x = tg.randn([3, 4], { rng: tg.rng('custom-op'), requiresGrad: true, name: 'x' });

  const y = softplus(x);
  log(
    `softplus(0) = ${softplus(tg.tensor([0]))
      .item()
      .toFixed(4)} (log 2 = ${Math.log(2).toFixed(4)})`,
  );
  log(`softplus(1000) = ${softplus(tg.tensor([1000], { dtype: 'float64' })).item()} (no overflow)`);

  // The backward in use: d/dx sum(softplus(x)) = sigmoid(x).
  y.sum().backward();
  const expected = tg.sigmoid(x.detach());
  const worst = Math.max(...Array.from(x.grad!.data, (g, i) => Math.abs(g - expected.data[i])));
  log(`max |x.grad - sigmoid(x)| = ${worst.toExponential(1)}`);

  const check = (name: string, fn: (x: tg.Tensor) => tg.Tensor) => {
    const order1 = tg.gradcheck(fn, [x]);
    const order2 = tg.gradcheck(fn, [x], { order: 2 });
    for (const [order, r] of [
      [1, order1],
      [2, order2],
    ] as const) {
      log(`gradcheck ${name}, order ${order}: ${r.ok ? 'ok' : 'FAILED'} (max abs error ${r.maxAbsError.toExponential(1)})`);
    }
    return { order1, order2 };
  };
  const softplusChecks = check('softplus', softplus);
  // Second order passes through clamp too: the mask is constant, so the gradient of the gradient is zero.
  const clampChecks = check('clamp(x, -0.5, 0.5)', (v) => clamp(v, -0.5, 0.5));

  const forgetful = tg.gradcheck((v) => forgetfulOp.apply([v], undefined), [x]);
  log(`gradcheck of the rule that forgets gy: ${forgetful.ok ? 'ok' : 'FAILED, as it should'}`);
  log(`  first failure: ${forgetful.failures[0]}`);

  const z = clamp(softplus(x), 0, 1).mean();
  const dot = tg.viz.toDot(z);
  log(
    `registered primitives now include: ${tg
      .primitives()
      .map((p) => p.name)
      .filter((n) => n.startsWith('example.'))
      .join(', ')}`,
  );
  return { softplus: softplusChecks, clamp: clampChecks, forgetful, dot };
}

if (require.main === module) main();
