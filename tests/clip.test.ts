/**
 * tg.nn.utils.clipGradNorm_ and clipGradValue_ against torch.nn.utils (float64), by hand on small
 * cases, and their errors.
 */
import * as tg from '../src';
import { encodeTensor, runTorch, TensorJson } from './torch-harness';

const { clipGradNorm_, clipGradValue_ } = tg.nn.utils;

function withGrads(seed: string, scale: number, dtype: tg.DType = 'float64'): tg.Tensor[] {
  const g = tg.rng(seed);
  return [[3, 4], [5], [2, 3, 2]].map((s) => {
    const p = tg.zeros(s, { requiresGrad: true, dtype });
    p.grad = tg.mul(tg.randn(s, { rng: g, dtype }), scale);
    return p;
  });
}

const CASES = [
  { label: 'norm 2, clipped', maxNorm: 1, normType: 2, scale: 1 },
  { label: 'norm 2, under the limit (coefficient 1)', maxNorm: 100, normType: 2, scale: 1 },
  { label: 'norm 1', maxNorm: 2, normType: 1, scale: 1 },
  { label: 'norm 3', maxNorm: 0.5, normType: 3, scale: 2 },
  { label: 'norm ∞', maxNorm: 0.25, normType: Infinity, scale: 1 },
];

const SCRIPT = `
def params(grads):
    ps = []
    for g in grads:
        p = torch.zeros(g['shape'], requires_grad=True)
        p.grad = tensor_from(g)
        ps.append(p)
    return ps
norms = []
for c in job['cases']:
    ps = params(c['grads'])
    nt = math.inf if c['normType'] == 'inf' else c['normType']
    total = torch.nn.utils.clip_grad_norm_(ps, c['maxNorm'], norm_type=nt)
    norms.append(dict(total=total.item(), grads=[p.grad for p in ps]))
ps = params(job['valueGrads'])
torch.nn.utils.clip_grad_value_(ps, 0.7)
emit(dict(norms=norms, values=[p.grad for p in ps]))
`;

let torch: { norms: { total: number; grads: TensorJson[] }[]; values: TensorJson[] };

beforeAll(() => {
  torch = runTorch(SCRIPT, {
    cases: CASES.map((c) => ({
      grads: withGrads(c.label, c.scale).map((p) => encodeTensor(p.grad!)),
      maxNorm: c.maxNorm,
      normType: c.normType === Infinity ? 'inf' : c.normType,
    })),
    valueGrads: withGrads('value', 2).map((p) => encodeTensor(p.grad!)),
  });
}, 120_000);

test.each(CASES.map((c, i) => [c.label, c, i] as const))('clipGradNorm_ %s: the total norm and the gradients are torch’s', (_l, c, i) => {
  const params = withGrads(c.label, c.scale);
  const total = clipGradNorm_(params, c.maxNorm, { normType: c.normType });
  expect(total).toBeCloseTo(torch.norms[i].total, 12);
  params.forEach((p, k) =>
    (p.grad!.data as Float64Array).forEach((v, j) => expect(v).toBeCloseTo(torch.norms[i].grads[k].data[j] as number, 13)),
  );
});

test('clipGradNorm_ by hand: grads (3, 4) and (12) have total norm 13; maxNorm 6.5 halves them (up to the 1e-6)', () => {
  const p = tg.zeros([2], { requiresGrad: true, dtype: 'float64' });
  const q = tg.zeros([1], { requiresGrad: true, dtype: 'float64' });
  const r = tg.zeros([1], { requiresGrad: true, dtype: 'float64' }); // no gradient: skipped
  p.grad = tg.tensor([3, 4], { dtype: 'float64' });
  q.grad = tg.tensor([12], { dtype: 'float64' });
  expect(clipGradNorm_([p, q, r], 6.5)).toBe(13);
  const coef = 6.5 / (13 + 1e-6);
  expect(Array.from(p.grad.data)).toEqual([3 * coef, 4 * coef]);
  expect(Array.from(q.grad.data)).toEqual([12 * coef]);
  expect(r.grad).toBeNull();
  // Infinity norm: the largest |g|; a single tensor is accepted too.
  p.grad = tg.tensor([-5, 1], { dtype: 'float64' });
  expect(clipGradNorm_(p, 10, { normType: Infinity })).toBe(5);
  expect(Array.from(p.grad.data)).toEqual([-5, 1]);
  expect(clipGradNorm_([r], 1)).toBe(0);
});

test('clipGradNorm_ on float32 gradients scales by the float32 coefficient', () => {
  const params = withGrads('f32', 3, 'float32');
  const before = params.map((p) => Float32Array.from(p.grad!.data));
  const total = clipGradNorm_(params, 1);
  const coef = Math.fround(1 / (total + 1e-6));
  params.forEach((p, i) => {
    expect(p.grad!.dtype).toBe('float32');
    expect(Array.from(p.grad!.data)).toEqual(Array.from(before[i]).map((v) => Math.fround(v * coef)));
  });
});

test('clipGradNorm_ with a non-finite norm: NaN gradients by default, an error with errorIfNonfinite', () => {
  const p = tg.zeros([2], { requiresGrad: true, dtype: 'float64' });
  p.grad = tg.tensor([Infinity, 1], { dtype: 'float64' });
  expect(() => clipGradNorm_([p], 1, { errorIfNonfinite: true })).toThrow(
    /^clipGradNorm_: the total norm of order 2 of the gradients of 1 parameters is Infinity, so they cannot be clipped; pass errorIfNonfinite: false to scale them anyway$/,
  );
  expect(Array.from(p.grad.data)).toEqual([Infinity, 1]);
  expect(clipGradNorm_([p], 1)).toBe(Infinity);
  expect(Array.from(p.grad.data)).toEqual([NaN, 0]);
  expect(() => clipGradNorm_([p], 1, { normType: 0 })).toThrow(/^clipGradNorm_: normType must be a positive number or Infinity, got 0$/);
  expect(() => clipGradNorm_([p, 3 as never], 1)).toThrow(/^clipGradNorm_: parameter 1 is not a Tensor$/);
});

test('clipGradValue_ clamps every gradient to [-c, c], as torch', () => {
  const params = withGrads('value', 2);
  clipGradValue_(params, 0.7);
  params.forEach((p, i) => expect(Array.from(p.grad!.data)).toEqual(torch.values[i].data));
  expect(params.some((p) => Array.from(p.grad!.data).includes(-0.7))).toBe(true);
  expect(() => clipGradValue_(params, -1)).toThrow(/^clipGradValue_: clipValue must be a non-negative number, got -1$/);
});
