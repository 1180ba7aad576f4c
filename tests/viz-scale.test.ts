/**
 * toDot at scale (issue #32, Note [printing DOT] and Note [shared labels]): a 100,000-op chain is drawn
 * in linear time and with memory near the size of its text. The machine running the tests is shared,
 * so the assertions are on the work done — the time ratio between 10,000 and 100,000 ops, which is
 * ~10 for linear work and ~100 for quadratic — plus absolute bounds that only a broken printer misses.
 */
import * as tg from '../src';

/** A chain of n ops: mul by a constant and tanh, alternately (each mul also draws its constant). */
function chain(n: number): tg.Tensor {
  let y = tg.tensor([1, 2, 3], { requiresGrad: true, name: 'x' });
  for (let i = 0; i < n; i++) y = i % 2 === 0 ? y.mul(0.999) : y.tanh();
  return y;
}

function timed(root: tg.Tensor): { ms: number; dot: string } {
  const t0 = process.hrtime.bigint();
  const dot = tg.viz.toDot(root);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, dot };
}

test('a 100,000-op chain: linear time (100k/10k well under quadratic), an absolute bound, and bounded memory', () => {
  timed(chain(2_000)); // warm the JIT, so the 10k run is not charged for compiling
  const small = timed(chain(10_000));
  const bigRoot = chain(100_000);
  const before = process.memoryUsage().heapUsed;
  const big = timed(bigRoot);
  const grown = process.memoryUsage().heapUsed - before;
  // Every op and tensor drawn: 100,000 ops, 100,001 chain tensors and 50,000 constants, one edge per input (mul 2, tanh 1) and per output.
  expect((big.dot.match(/^ {2}"op\d+" \[$/gm) ?? []).length).toBe(100_000);
  expect((big.dot.match(/^ {2}"t\d+" \[$/gm) ?? []).length).toBe(150_001);
  expect((big.dot.match(/ -> /g) ?? []).length).toBe(50_000 * 2 + 50_000 + 100_000);
  expect(big.ms / small.ms).toBeLessThan(20);
  // Under 5 s on an idle machine; 60 s is missed only by quadratic or runaway work.
  expect(big.ms).toBeLessThan(60_000);
  // The text is ~69 MB; the ts-graphviz model this replaced held ~900 MB. Garbage not yet collected counts too.
  expect(grown).toBeLessThan(600e6);
}, 240_000);
