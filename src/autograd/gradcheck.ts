/**
 * @file gradcheck and gradgradcheck: analytic gradients against central differences, in float64,
 * and — when they disagree — the node to blame.
 *
 * The upstream gradient is random (never all ones: a rule that forgot to multiply by gy would pass
 * with ones). Small inputs get the full Jacobian, element by element; large ones (or `fastMode`,
 * PyTorch's fast_mode) the projection vᵀ·J·u along random directions u, v, one input at a time.
 *
 * Note [kinks]: where the function's derivative jumps (relu at 0, a max with ties, abs at 0) the
 * central difference averages the two one-sided derivatives and agrees with neither. Each element
 * also takes both one-sided differences; when those disagree with each other, the point is a kink,
 * and an analytic value between them (PyTorch's conventions pick one side) is reported in `kinks`,
 * not as a failure of the rule.
 *
 * Note [blame]: a wrong gradient at the output of a composed function could come from any rule in
 * its graph. Blame re-checks every node on its own: its rule's backward, fed a fresh random gy,
 * against central differences of its own forward on the very inputs it saw. A correct rule fed a
 * wrong upstream gradient passes that check, so the first node (in topological order, inputs
 * first) that fails is where the fault is; null means every rule is right on its own and the fault
 * lies elsewhere (a non-differentiable step, state that changes between calls, a float32 cast).
 */
import { Rng } from '../random/rng';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { topoSort } from './engine';
import { grad } from './grad';
import { enableGrad, noGrad } from './mode';
import type { Node } from './node';
import { GradcheckReport, type Blame, type GradcheckResult, type WorstElement } from './gradcheck-report';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** 1: first derivatives; 2: also second derivatives (through createGraph). */
  order?: 1 | 2;
  /** Above this many input elements, check along random directions instead of every element. */
  fullJacobianLimit?: number;
  /** Check along random directions whatever the size (PyTorch's fast_mode). */
  fastMode?: boolean;
}

export type { Blame, GradcheckResult, WorstElement } from './gradcheck-report';

type Fn = (...inputs: Tensor[]) => Tensor;

/** A blamed node and the output of the graph it sits in. */
interface Found {
  blame: Blame;
  root: Tensor;
}

/** A result and, when something is blamed, the graph (its output) where the blamed node's id lives. */
export interface Explained {
  result: GradcheckResult;
  graph: Tensor | null;
}

type Settings = Required<Omit<GradcheckOptions, 'order'>>;

const MAX_LISTED = 10;
/** How many of the worst failing comparisons a result keeps (GradcheckResult.worst). */
const MAX_WORST = 5;

function settings(opts: GradcheckOptions): Settings {
  return {
    eps: opts.eps ?? 1e-6,
    atol: opts.atol ?? 1e-5,
    rtol: opts.rtol ?? 1e-3,
    fullJacobianLimit: opts.fullJacobianLimit ?? 2000,
    fastMode: opts.fastMode ?? false,
  };
}

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

/** f(x + eps·d) at three points: the central difference and the two one-sided ones. */
interface Differences {
  central: number;
  forward: number;
  backward: number;
}

class Tally {
  maxAbsError = 0;
  maxRelError = 0;
  failures: string[] = [];
  kinks: string[] = [];
  failed = 0;
  kinked = 0;
  compared = 0;
  /** The failing comparisons with the largest errors, largest first. */
  worst: WorstElement[] = [];
  constructor(
    private readonly atol: number,
    private readonly rtol: number,
    /** How the result names its check when printed. */
    private readonly check = 'gradcheck',
    private readonly fastMode = false,
  ) {}

  private close(a: number, b: number): boolean {
    return Math.abs(a - b) <= this.atol + this.rtol * Math.abs(b);
  }

  /** Records one comparison; returns its absolute error when it counts as a failure, else -1. */
  compare(analytic: number, numeric: Differences, where: () => string, index: number[] | null = null): number {
    this.compared++;
    const abs = Math.abs(analytic - numeric.central);
    const { forward, backward } = numeric;
    const lo = Math.min(forward, backward);
    const hi = Math.max(forward, backward);
    const tol = this.atol + this.rtol * Math.max(Math.abs(lo), Math.abs(hi));
    const kink = hi - lo > tol;
    const withinKink = kink && analytic >= lo - tol && analytic <= hi + tol;
    if (withinKink) {
      this.kinked++;
      if (this.kinks.length < MAX_LISTED)
        this.kinks.push(`${where()}: a kink (one-sided derivatives ${backward} and ${forward}); analytic ${analytic}`);
    }
    if (withinKink || this.close(analytic, numeric.central)) {
      if (!withinKink) this.track(abs, numeric.central);
      return -1;
    }
    this.track(abs, numeric.central);
    this.failed++;
    if (this.failures.length < MAX_LISTED) this.failures.push(`${where()}: analytic ${analytic} vs numeric ${numeric.central}`);
    this.noteWorst(analytic, numeric.central, Number.isNaN(abs) ? Infinity : abs, where, index);
    return Number.isNaN(abs) ? Infinity : abs;
  }

  private noteWorst(analytic: number, numeric: number, absError: number, where: () => string, index: number[] | null): void {
    const list = this.worst;
    if (list.length === MAX_WORST && !(absError > list[MAX_WORST - 1].absError)) return;
    let at = list.length;
    while (at > 0 && absError > list[at - 1].absError) at--;
    list.splice(at, 0, { where: where(), index, analytic, numeric, absError });
    if (list.length > MAX_WORST) list.pop();
  }

  private track(abs: number, numeric: number): void {
    const rel = abs / Math.max(Math.abs(numeric), 1e-12);
    if (!(abs <= this.maxAbsError)) this.maxAbsError = Number.isNaN(abs) ? Infinity : abs;
    if (abs > 0 && !(rel <= this.maxRelError)) this.maxRelError = Number.isNaN(rel) ? Infinity : rel;
  }

  result(blame: () => Found | null): Explained {
    const more = (list: string[], n: number) => (n > list.length ? [...list, `… and ${n - list.length} more`] : [...list]);
    const ok = this.failed === 0;
    const found = ok ? null : blame();
    const fields = {
      ok,
      maxAbsError: this.maxAbsError,
      maxRelError: this.maxRelError,
      failures: more(this.failures, this.failed),
      kinks: more(this.kinks, this.kinked),
      blame: found?.blame ?? null,
      worst: this.worst,
    };
    const context = { check: this.check, compared: this.compared, failed: this.failed, fastMode: this.fastMode };
    return { result: new GradcheckReport(fields, context), graph: found?.root ?? null };
  }
}

/** The index in `shape` of flat element i (row-major). */
function unravel(i: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return index;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Compares `analytic` (one array per entry of `wrt`) with differences of `objective` — the scalar
 * ⟨f(inputs), gy⟩ — over `wrt`'s elements, or along random directions. Returns the largest error
 * of a failing comparison per entry of `wrt` (-1 where all pass).
 */
function compareWithDifferences(
  objective: () => number,
  wrt: readonly Tensor[],
  analytic: readonly ArrayLike<number>[],
  s: Settings,
  tally: Tally,
  rng: Rng,
  where: (k: number, element: string) => string,
): number[] {
  const worst = wrt.map(() => -1);
  const note = (k: number, err: number) => {
    if (err > worst[k]) worst[k] = err;
  };
  const { eps } = s;
  const f0 = objective();
  const total = wrt.reduce((n, x) => n + x.size, 0);
  if (!s.fastMode && total <= s.fullJacobianLimit) {
    wrt.forEach((x, k) => {
      const d = x.data;
      for (let i = 0; i < d.length; i++) {
        const v = d[i];
        d[i] = v + eps;
        const plus = objective();
        d[i] = v - eps;
        const minus = objective();
        d[i] = v;
        const diffs = { central: (plus - minus) / (2 * eps), forward: (plus - f0) / eps, backward: (f0 - minus) / eps };
        note(
          k,
          tally.compare(analytic[k][i], diffs, () => where(k, `element ${i}`), unravel(i, x.shape)),
        );
      }
    });
    return worst;
  }
  // Note [directions per input]: each input is moved along its own random direction while the
  // others stay put, so a failing projection names the input whose gradient is wrong (a projection
  // that moved every input at once would mix them, and blame would always name the first).
  for (let trial = 0; trial < 4; trial++) {
    wrt.forEach((x, k) => {
      const saved = Float64Array.from(x.data);
      const dir = randomLike(rng, x.shape).data;
      const shift = (scale: number) => {
        for (let i = 0; i < x.size; i++) x.data[i] = saved[i] + scale * dir[i];
      };
      shift(eps);
      const plus = objective();
      shift(-eps);
      const minus = objective();
      shift(0);
      const err = tally.compare(
        dot(analytic[k], dir),
        { central: (plus - minus) / (2 * eps), forward: (plus - f0) / eps, backward: (f0 - minus) / eps },
        () => where(k, `random direction ${trial}`),
      );
      note(k, err);
    });
  }
  return worst;
}

function checkFunction(fn: Fn, xs: Tensor[], s: Settings, tally: Tally, label: string): void {
  const rng = new Rng(`gradcheck:${label}`);
  const y0 = fn(...xs);
  if (!(y0 instanceof Tensor)) throw new Error('gradcheck: fn must return a Tensor');
  const gy = randomLike(rng, y0.shape);
  const wrt = xs.filter((x) => x.requiresGrad);
  if (wrt.length === 0) throw new Error('gradcheck: no input requires grad');
  const analytic = y0.requiresGrad
    ? grad(y0, wrt, { gradOutputs: [gy], allowUnused: true }).map((g, i) => (g === null ? new Float64Array(wrt[i].size) : g.data))
    : wrt.map((x) => new Float64Array(x.size));
  const objective = () => noGrad(() => dot(fn(...xs).data, gy.data));
  compareWithDifferences(
    objective,
    wrt,
    analytic,
    s,
    tally,
    rng,
    (k, element) => `${label}${k >= 0 ? `input ${xs.indexOf(wrt[k])} ${fmt(wrt[k].shape)} ` : ''}${element}`,
  );
}

/** One node's rule against differences of its own forward (Note [blame]); the failing input, or null. */
function checkNode(node: Node, s: Settings, order: 1 | 2): { inputIndex: number; maxAbsError: number } | null {
  const rule = node.primitive.rule;
  const ins = node.inputs.map(toFloat64Leaf);
  const run = () =>
    noGrad(() => {
      const out = rule.forward(ins, node.attrs);
      return out instanceof Tensor ? { y: out, saved: undefined } : out;
    });
  const first = run();
  // A rule whose output is not float64 (an explicit cast) cannot be differenced precisely here.
  if (first.y.dtype !== 'float64') return null;
  const wrt = ins.filter((x) => x.requiresGrad);
  if (wrt.length === 0) return null;
  const rng = new Rng(`gradcheck:blame:${node.op}`);
  const gy = randomLike(rng, first.y.shape);
  const failing = (worst: number[]) => {
    const k = worst.findIndex((e) => e >= 0);
    return k < 0 ? null : { inputIndex: ins.indexOf(wrt[k]), maxAbsError: worst[k] };
  };
  const gradsOf = (gs: readonly (Tensor | null)[]) => wrt.map((x) => gs[ins.indexOf(x)] ?? null);
  // First order: the rule's vector-Jacobian product against differences of the forward.
  const gs = gradsOf(noGrad(() => rule.backward(gy, ins, first.y, node.attrs, first.saved)));
  const analytic = gs.map((g, k) => (g === null ? new Float64Array(wrt[k].size) : g.data));
  const bad = failing(
    compareWithDifferences(
      () => dot(run().y.data, gy.data),
      wrt,
      analytic,
      s,
      new Tally(s.atol, s.rtol),
      rng,
      () => '',
    ),
  );
  if (bad !== null || order === 1) return bad;
  // Second order: the rule itself, recorded, differentiated against differences of the rule.
  const rs = wrt.map((x) => randomLike(rng, x.shape));
  const recorded = enableGrad(() => {
    const y = node.primitive.apply(ins, node.attrs);
    return gradsOf(rule.backward(gy, ins, y, node.attrs, y.node?.saved as never));
  });
  const outs = recorded.map((g, k) => [g, rs[k]] as const).filter(([g]) => g !== null && g.requiresGrad) as [Tensor, Tensor][];
  const analytic2 =
    outs.length === 0
      ? wrt.map((x) => new Float64Array(x.size))
      : grad(
          outs.map(([g]) => g),
          wrt,
          { gradOutputs: outs.map(([, r]) => r), allowUnused: true },
        ).map((g, k) => (g === null ? new Float64Array(wrt[k].size) : g.data));
  const objective2 = () => {
    const again = run();
    const g2 = gradsOf(noGrad(() => rule.backward(gy, ins, again.y, node.attrs, again.saved)));
    return g2.reduce((acc, g, k) => acc + (g === null ? 0 : dot(g.data, rs[k].data)), 0);
  };
  return failing(compareWithDifferences(objective2, wrt, analytic2, s, new Tally(s.atol, s.rtol), rng, () => ''));
}

/** The first node of fn's graph on xs whose own rule fails, at `order` (Note [blame]). */
function blameGraph(fn: Fn, xs: Tensor[], s: Settings, order: 1 | 2 = 1): Found | null {
  const y = enableGrad(() => fn(...xs));
  if (!(y instanceof Tensor) || !y.requiresGrad) return null;
  for (const t of topoSort([y])) {
    const node = t.node;
    if (node === null) continue;
    const bad = checkNode(node, s, order);
    if (bad !== null) {
      const blame = {
        op: node.op,
        nodeId: node.id,
        inputIndex: bad.inputIndex,
        inputShapes: node.inputs.map((x) => [...x.shape]),
        maxAbsError: bad.maxAbsError,
      };
      return { blame, root: y };
    }
  }
  return null;
}

/** The gradient of input k as a function of the inputs (a VJP with a fixed random gy), recorded so it can be differentiated. */
function gradientFunction(fn: Fn, xs: Tensor[], k: number): Fn {
  const y0 = fn(...xs);
  const gy = randomLike(new Rng('gradcheck:gy2'), y0.shape);
  const wrt = xs.filter((x) => x.requiresGrad);
  // Recording stays on even while the numeric pass runs under noGrad: the inner grad needs a graph.
  return (...zs) =>
    enableGrad(() => {
      const g = grad(
        fn(...zs),
        zs.filter((z) => z.requiresGrad),
        { gradOutputs: [gy], createGraph: true, allowUnused: true },
      )[k];
      return g ?? new Tensor(new Float64Array(wrt[k].size), wrt[k].shape);
    });
}

function secondOrder(fn: Fn, xs: Tensor[], s: Settings, tally: Tally): Fn[] {
  const wrt = xs.filter((x) => x.requiresGrad);
  const fns = wrt.map((_x, k) => gradientFunction(fn, xs, k));
  fns.forEach((gradFn, k) => checkFunction(gradFn, xs, s, tally, `d(grad of input ${xs.indexOf(wrt[k])})/d`));
  return fns;
}

/** Checks every input that has requiresGrad; inputs are copied to float64 first. */
export function gradcheck(fn: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  return explainGradcheck(fn, inputs, opts).result;
}

/** gradcheck, and the graph the blamed node sits in (for drawing it: `tapegrad gradcheck --script`). */
export function explainGradcheck(fn: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): Explained {
  const s = settings(opts);
  const xs = inputs.map(toFloat64Leaf);
  const tally = new Tally(s.atol, s.rtol, (opts.order ?? 1) >= 2 ? 'gradcheck (order 2)' : 'gradcheck', s.fastMode);
  checkFunction(fn, xs, s, tally, '');
  const firstOrderFailed = tally.failed > 0;
  const gradFns = (opts.order ?? 1) >= 2 ? secondOrder(fn, xs, s, tally) : [];
  return tally.result(() => (firstOrderFailed ? blameGraph(fn, xs, s) : (blameGraph(fn, xs, s, 2) ?? firstBlame(gradFns, xs, s))));
}

/** Second derivatives, as torch.autograd.gradgradcheck: the gradient of each input's gradient. */
export function gradgradcheck(fn: Fn, inputs: readonly Tensor[], opts: Omit<GradcheckOptions, 'order'> = {}): GradcheckResult {
  return explainGradgradcheck(fn, inputs, opts).result;
}

/** gradgradcheck, and the graph the blamed node sits in. */
export function explainGradgradcheck(fn: Fn, inputs: readonly Tensor[], opts: Omit<GradcheckOptions, 'order'> = {}): Explained {
  const s = settings(opts);
  const xs = inputs.map(toFloat64Leaf);
  if (!xs.some((x) => x.requiresGrad)) throw new Error('gradgradcheck: no input requires grad');
  const tally = new Tally(s.atol, s.rtol, 'gradgradcheck', s.fastMode);
  const gradFns = secondOrder(fn, xs, s, tally);
  return tally.result(() => blameGraph(fn, xs, s, 2) ?? firstBlame(gradFns, xs, s));
}

function firstBlame(fns: readonly Fn[], xs: Tensor[], s: Settings): Found | null {
  for (const f of fns) {
    const b = blameGraph(f, xs, s);
    if (b !== null) return b;
  }
  return null;
}
