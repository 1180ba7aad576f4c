/**
 * @file A batch of PyTorch parity cases in one Python run (tests/torch-harness.ts): each case is a
 * torch expression over `xs` beside the tapegrad function over the same float64 inputs. Both sides
 * run forward, then backward with the same random upstream gradient; values and input gradients are
 * returned for the test to compare. Outputs that are lists (split, unbind) are compared flattened and
 * concatenated; `{values, indices}` results compare both, the gradient flowing through `values`.
 */
import * as tg from '../src';
import { decodeTensor, encodeTensor, runTorch, TensorJson } from './torch-harness';

export interface ParityCase {
  name: string;
  /** A Python expression over `xs` (the inputs as torch tensors, float64 ones requiring grad) and `torch`. */
  torch: string;
  /** The same in tapegrad. */
  tg: (...xs: tg.Tensor[]) => tg.Tensor | tg.Tensor[] | { values: tg.Tensor; indices: tg.Tensor };
  inputs: tg.Tensor[];
}

export interface ParityResult {
  name: string;
  ours: { y: tg.Tensor; indices: tg.Tensor | null; grads: (tg.Tensor | null)[] };
  theirs: { y: tg.Tensor; indices: tg.Tensor | null; grads: (tg.Tensor | null)[] };
}

/** One float64 tensor of a list output, flattened and concatenated (lists of pieces compare as one). */
function joined(y: tg.Tensor | tg.Tensor[]): tg.Tensor {
  if (!Array.isArray(y)) return y;
  if (y.length === 0) return tg.zeros([0], { dtype: 'float64' });
  return tg.concat(y.map((t) => t.reshape([-1])));
}

const SCRIPT = `
out = []
for c in job['cases']:
    xs = [tensor_from(j, j['dtype'] == 'float64') for j in c['inputs']]
    y = eval(c['expr'], {'torch': torch, 'xs': xs, 'math': math})
    indices = None
    if hasattr(y, 'values') and hasattr(y, 'indices') and not isinstance(y, torch.Tensor):
        indices = y.indices
        y = y.values
    if isinstance(y, (list, tuple)):
        y = torch.cat([t.reshape(-1) for t in y]) if len(y) > 0 else torch.zeros(0)
    grads = [None] * len(xs)
    if y.requires_grad:
        gy = tensor_from(c['gy']) if c['gy'] is not None else None
        if gy is not None and gy.shape != y.shape:
            raise ValueError('shape mismatch %s: tapegrad %s, torch %s' % (c['name'], list(gy.shape), list(y.shape)))
        gs = torch.autograd.grad(y, [x for x in xs if x.requires_grad], gy, allow_unused=True)
        it = iter(gs)
        grads = [(next(it) if x.requires_grad else None) for x in xs]
        grads = [(g if g is not None else (torch.zeros_like(x) if x.requires_grad else None)) for g, x in zip(grads, xs)]
    out.append({'y': y, 'indices': indices, 'grads': grads})
emit(out)
`;

/** Runs every case on both sides; the upstream gradient is random (seeded), never all ones. */
export function runParity(cases: readonly ParityCase[], seed = 'parity'): ParityResult[] {
  const r = tg.rng(seed);
  const ours = cases.map((c) => {
    const xs = c.inputs.map((x) =>
      x.dtype === 'float64' ? tg.tensor(x.data.slice(), { shape: x.shape, dtype: 'float64', requiresGrad: true }) : x,
    );
    const raw = c.tg(...xs);
    const plain = !Array.isArray(raw) && !(raw instanceof tg.Tensor);
    const y = plain ? (raw as { values: tg.Tensor }).values : joined(raw as tg.Tensor | tg.Tensor[]);
    const indices = plain ? (raw as { indices: tg.Tensor }).indices : null;
    const gy = y.requiresGrad ? tg.randn(y.shape, { rng: r, dtype: 'float64' }) : null;
    const diff = xs.filter((x) => x.requiresGrad);
    const gs = gy === null || diff.length === 0 ? [] : tg.grad([y], diff, { gradOutputs: [gy], allowUnused: true });
    let k = 0;
    const grads = xs.map((x) => (x.requiresGrad ? ((gs[k++] as tg.Tensor | null) ?? tg.zeros(x.shape, { dtype: 'float64' })) : null));
    return { y, indices, grads, gy };
  });
  const job = {
    cases: cases.map((c, i) => ({
      name: c.name,
      expr: c.torch,
      inputs: c.inputs.map(encodeTensor),
      gy: ours[i].gy === null ? null : encodeTensor(ours[i].gy!),
    })),
  };
  const theirs = runTorch<{ y: TensorJson; indices: TensorJson | null; grads: (TensorJson | null)[] }[]>(SCRIPT, job);
  return cases.map((c, i) => ({
    name: c.name,
    ours: { y: ours[i].y, indices: ours[i].indices, grads: ours[i].grads },
    theirs: {
      y: decodeTensor(theirs[i].y),
      indices: theirs[i].indices === null ? null : decodeTensor(theirs[i].indices!),
      grads: theirs[i].grads.map((g) => (g === null ? null : decodeTensor(g))),
    },
  }));
}

/** Largest |a - b| (shapes must match; NaN must sit where NaN sits). */
export function maxAbsDiff(a: tg.Tensor, b: tg.Tensor): number {
  if (a.shape.join(',') !== b.shape.join(',')) return Infinity;
  let m = 0;
  for (let i = 0; i < a.size; i++) {
    const p = Number(a.data[i]);
    const q = Number(b.data[i]);
    if (Number.isNaN(p) || Number.isNaN(q)) {
      if (Number.isNaN(p) !== Number.isNaN(q)) return Infinity;
    } else if (p !== q) m = Math.max(m, Math.abs(p - q));
  }
  return m;
}

/** A readable mismatch list: empty when every case agrees to `tol`. */
export function mismatches(results: readonly ParityResult[], tol = 1e-12): string[] {
  const bad: string[] = [];
  for (const r of results) {
    const dy = maxAbsDiff(r.ours.y, r.theirs.y);
    if (!(dy <= tol)) bad.push(`${r.name}: values differ (${dy}; ours ${r.ours.y.shape}, torch ${r.theirs.y.shape})`);
    if (r.theirs.indices !== null && r.ours.indices !== null && maxAbsDiff(r.ours.indices, r.theirs.indices) !== 0) {
      bad.push(
        `${r.name}: indices differ: ours ${JSON.stringify(r.ours.indices.toArray())}, torch ${JSON.stringify(r.theirs.indices.toArray())}`,
      );
    }
    r.theirs.grads.forEach((g, k) => {
      const o = r.ours.grads[k];
      if (g === null || o === null) return;
      const d = maxAbsDiff(o, g);
      if (!(d <= tol)) bad.push(`${r.name}: gradient ${k} differs (${d})`);
    });
  }
  return bad;
}
