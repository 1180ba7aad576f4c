/**
 * @file Testing your own gradients (docs/testing-gradients.md): a composite function and a custom
 * primitive pass tg.testing.assertGradcheck; a rule with a planted bug fails it, and the message names
 * the op, the worst elements and a hint.
 *
 * Run here:   npx ts-node examples/testing-gradients.ts
 * Copied into your own project (import from 'tapegrad' instead of '../src'):
 *             npx ts-node -P node_modules/tapegrad/tsconfig.scripts.json testing-gradients.ts
 * (ts-node's built-in defaults are refused by TypeScript 5; tsconfig.scripts.json is the configuration to name.)
 */
import * as tg from '../src';

/** softplus, log(1 + eˣ), as a composite of tapegrad's ops. */
export function softplus(x: tg.Tensor): tg.Tensor {
  return tg.add(tg.relu(x), tg.log(tg.add(tg.exp(tg.neg(tg.abs(x))), 1)));
}

/** √(x² + 1) − 1, elementwise on raw numbers. */
function smoothAbsForward([x]: readonly tg.Tensor[]): tg.Tensor {
  const y = tg.allocate(x.dtype, x.size);
  for (let i = 0; i < y.length; i++) y[i] = Math.sqrt(x.data[i] * x.data[i] + 1) - 1;
  return new tg.Tensor(y, x.shape);
}

/** A custom primitive: a smooth |x| whose derivative is x / √(x² + 1). */
const smoothAbs = tg.definePrimitive('example.smoothAbs', {
  forward: smoothAbsForward,
  backward: (gy, [x]) => [tg.mul(gy, tg.div(x, tg.sqrt(tg.add(tg.mul(x, x), 1))))],
});

/** The same op with a planted bug: |x| where x belongs (wrong sign for negative x). */
const smoothAbsWrong = tg.definePrimitive('example.smoothAbsWrong', {
  forward: smoothAbsForward,
  backward: (gy, [x]) => [tg.mul(gy, tg.div(tg.abs(x), tg.sqrt(tg.add(tg.mul(x, x), 1))))],
});

export interface TestingGradientsResult {
  composite: tg.GradcheckResult;
  primitive: tg.GradcheckResult;
  /** The message assertGradcheck threw for the wrong rule. */
  message: string;
}

export function main(log: (line: string) => void = console.log): TestingGradientsResult {
  const x = tg.tensor([-2, -0.5, 0.5, 3], { dtype: 'float64', requiresGrad: true });
  const composite = tg.testing.assertGradcheck(softplus, [x]);
  log(`softplus (composite): ${composite}`);
  const primitive = tg.testing.assertGradgradcheck((v) => smoothAbs.apply([v], undefined), [x]);
  log(`smoothAbs (custom primitive), second order: ${primitive}`);
  let message = '';
  try {
    const w = tg.tensor([[0.5], [-1]], { dtype: 'float64', requiresGrad: true });
    tg.testing.assertGradcheck((v, w) => tg.tanh(smoothAbsWrong.apply([tg.matmul(v.reshape([2, 2]), w)], undefined)).sum(), [x, w]);
  } catch (e) {
    message = (e as Error).message;
  }
  log('smoothAbsWrong inside matmul and tanh, as a test reports it:');
  log(message);
  return { composite, primitive, message };
}

if (require.main === module) main();
