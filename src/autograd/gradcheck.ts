/**
 * @file gradcheck: analytic gradients against central differences, in float64.
 *
 * The upstream gradient is random (never all ones: a rule that forgot to multiply by gy would pass
 * with ones). Small inputs get the full Jacobian, element by element; large ones JAX's check along
 * random directions. `order: 2` checks the gradient of the gradient, recorded with createGraph.
 */
import { Rng } from '../random/rng';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { grad } from './grad';
import { enableGrad, noGrad } from './mode';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** 1: first derivatives; 2: also second derivatives (through createGraph). */
  order?: 1 | 2;
  /** Above this many input elements, check along random directions instead of every element. */
  fullJacobianLimit?: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  failures: string[];
}

type Fn = (...inputs: Tensor[]) => Tensor;

const MAX_FAILURES_LISTED = 10;

function toFloat64Leaf(x: Tensor): Tensor {
  return new Tensor(Float64Array.from(x.data), x.shape, x.requiresGrad, x.name);
}

function randomLike(rng: Rng, shape: readonly number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  // Magnitudes away from zero, both signs: every element of gy matters.
  for (let i = 0; i < n; i++) data[i] = (rng.next() < 0.5 ? -1 : 1) * (0.5 + rng.next());
  return new Tensor(data, shape);
}

class Tally {
  maxAbsError = 0;
  maxRelError = 0;
  failures: string[] = [];
  failed = 0;
  constructor(private readonly atol: number, private readonly rtol: number) {}

  compare(analytic: number, numeric: number, where: () => string): void {
    const abs = Math.abs(analytic - numeric);
    const rel = abs / Math.max(Math.abs(numeric), 1e-12);
    if (!(abs <= this.maxAbsError)) this.maxAbsError = Number.isNaN(abs) ? Infinity : abs;
    if (abs > 0 && !(rel <= this.maxRelError)) this.maxRelError = Number.isNaN(rel) ? Infinity : rel;
    if (!(abs <= this.atol + this.rtol * Math.abs(numeric))) {
      this.failed++;
      if (this.failures.length < MAX_FAILURES_LISTED) this.failures.push(`${where()}: analytic ${analytic} vs numeric ${numeric}`);
    }
  }

  result(): GradcheckResult {
    const failures = [...this.failures];
    if (this.failed > failures.length) failures.push(`… and ${this.failed - failures.length} more`);
    return { ok: this.failed === 0, maxAbsError: this.maxAbsError, maxRelError: this.maxRelError, failures };
  }
}

function dot(a: Float64Array | Float32Array, b: Float64Array | Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function checkFirstOrder(fn: Fn, xs: Tensor[], opts: Required<Omit<GradcheckOptions, 'order'>>, tally: Tally, label: string): void {
  const rng = new Rng(`gradcheck:${label}`);
  const y0 = fn(...xs);
  if (!(y0 instanceof Tensor)) throw new Error('gradcheck: fn must return a Tensor');
  const gy = randomLike(rng, y0.shape);
  const wrt = xs.filter((x) => x.requiresGrad);
  if (wrt.length === 0) throw new Error('gradcheck: no input requires grad');
  const analytic = y0.requiresGrad
    ? grad(y0, wrt, { gradOutputs: [gy], allowUnused: true }).map((g, i) => (g === null ? new Float64Array(wrt[i].size) : g.data))
    : wrt.map((x) => new Float64Array(x.size));
  const objective = () => noGrad(() => {
    const y = fn(...xs);
    return dot(y.data, gy.data);
  });
  const { eps } = opts;
  const total = wrt.reduce((n, x) => n + x.size, 0);
  if (total <= opts.fullJacobianLimit) {
    wrt.forEach((x, k) => {
      const d = x.data;
      for (let i = 0; i < d.length; i++) {
        const v = d[i];
        d[i] = v + eps;
        const plus = objective();
        d[i] = v - eps;
        const minus = objective();
        d[i] = v;
        tally.compare(analytic[k][i], (plus - minus) / (2 * eps), () => `${label}input ${xs.indexOf(x)} ${fmt(x.shape)} element ${i}`);
      }
    });
    return;
  }
  for (let trial = 0; trial < 4; trial++) {
    const dirs = wrt.map((x) => randomLike(rng, x.shape).data);
    const saved = wrt.map((x) => Float64Array.from(x.data));
    const shift = (scale: number) => wrt.forEach((x, k) => {
      for (let i = 0; i < x.size; i++) x.data[i] = saved[k][i] + scale * dirs[k][i];
    });
    shift(eps);
    const plus = objective();
    shift(-eps);
    const minus = objective();
    shift(0);
    const predicted = wrt.reduce((s, _x, k) => s + dot(analytic[k], dirs[k]), 0);
    tally.compare(predicted, (plus - minus) / (2 * eps), () => `${label}random direction ${trial}`);
  }
}

/** Checks every input that has requiresGrad; inputs are copied to float64 first. */
export function gradcheck(fn: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const o = { eps: opts.eps ?? 1e-6, atol: opts.atol ?? 1e-5, rtol: opts.rtol ?? 1e-3, fullJacobianLimit: opts.fullJacobianLimit ?? 2000 };
  const xs = inputs.map(toFloat64Leaf);
  const tally = new Tally(o.atol, o.rtol);
  checkFirstOrder(fn, xs, o, tally, '');
  if ((opts.order ?? 1) >= 2) {
    // Second order: each input's gradient (a VJP with a fixed random gy) is itself a function of the inputs.
    const y0 = fn(...xs);
    const gy = randomLike(new Rng('gradcheck:gy2'), y0.shape);
    const wrt = xs.filter((x) => x.requiresGrad);
    wrt.forEach((_x, k) => {
      // Recording stays on even while the numeric pass runs under noGrad: the inner grad needs a graph.
      const gradFn: Fn = (...zs) => enableGrad(() => {
        const g = grad(fn(...zs), zs.filter((z) => z.requiresGrad), { gradOutputs: [gy], createGraph: true, allowUnused: true })[k];
        return g ?? new Tensor(new Float64Array(wrt[k].size), wrt[k].shape);
      });
      checkFirstOrder(gradFn, xs, o, tally, `d(grad of input ${xs.indexOf(wrt[k])})/d`);
    });
  }
  return tally.result();
}
