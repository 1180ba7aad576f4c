/**
 * @file SPEC §14's creation functions: linspace, eye, the `…Like` family, and random integers,
 * permutations and draws (randint, randperm, bernoulli, multinomial), all from the seeded generator
 * (`opts.rng`, else the default one), so a seed reproduces them.
 */
import { defaultRng, Rng } from '../random/rng';
import { checkDType, full, ones, rand, randn, RandomOptions, TensorOptions, zeros } from './create';
import { allocate, convertValue, DType, isFloating } from './dtype';
import { checkShape, fmt, sizeOf } from './shape';
import { Tensor } from './tensor';

type CreationOptions = Omit<TensorOptions, 'shape'>;

/** `steps` evenly spaced values from start to end, both included (torch.linspace). */
export function linspace(start: number, end: number, steps: number, opts: CreationOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = checkDType('linspace', opts.dtype);
  const data = allocate(dtype, steps);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  // As PyTorch: the first half counts up from start, the second down from end, so both ends are exact.
  const half = Math.floor(steps / 2);
  if (steps === 1) data[0] = convertValue(dtype, start);
  else for (let i = 0; i < steps; i++) data[i] = convertValue(dtype, i < half ? start + delta * i : end - delta * (steps - 1 - i));
  return new Tensor(data, [steps], opts.requiresGrad ?? false, opts.name);
}

/** The n×m matrix with ones on the diagonal; `eye(n, opts)` is `eye(n, n, opts)`. */
export function eye(n: number, columns: number | CreationOptions = n, options: CreationOptions = {}): Tensor {
  const [m, opts] = typeof columns === 'object' && columns !== null ? [n, columns] : [columns, options];
  for (const [name, v] of [
    ['n', n],
    ['m', m],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`eye: ${name} must be a non-negative integer, got ${v}`);
  }
  const data = allocate(checkDType('eye', opts.dtype), n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return new Tensor(data, [n, m], opts.requiresGrad ?? false, opts.name);
}

/** x's dtype unless opts says otherwise (PyTorch's `*_like`). */
function likeOptions<T extends { dtype?: DType }>(op: string, x: Tensor, opts: T): T & { dtype: DType } {
  if (!(x instanceof Tensor)) throw new Error(`${op}: expected a Tensor, got ${typeof x}`);
  return { ...opts, dtype: opts.dtype ?? x.dtype };
}

export function zerosLike(x: Tensor, opts: CreationOptions = {}): Tensor {
  return zeros(x.shape, likeOptions('zerosLike', x, opts));
}

export function onesLike(x: Tensor, opts: CreationOptions = {}): Tensor {
  return ones(x.shape, likeOptions('onesLike', x, opts));
}

export function fullLike(x: Tensor, value: number | boolean, opts: CreationOptions = {}): Tensor {
  return full(x.shape, value, likeOptions('fullLike', x, opts));
}

/** Standard normal draws in x's shape (and dtype, which must be a float one, unless opts.dtype). */
export function randnLike(x: Tensor, opts: RandomOptions = {}): Tensor {
  return randn(x.shape, likeOptions('randnLike', x, opts));
}

/** Uniform draws in [0, 1) in x's shape (and float dtype). */
export function randLike(x: Tensor, opts: RandomOptions = {}): Tensor {
  return rand(x.shape, likeOptions('randLike', x, opts));
}

export interface RngOptions {
  rng?: Rng;
}

export interface RandintOptions extends RngOptions {
  dtype?: DType;
}

/** Uniform integers in [low, high) in `shape`, int32 (torch.randint's int64). */
export function randint(low: number, high: number, shape: readonly number[], opts: RandintOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new Error(`randint: low and high must be integers with low < high, got ${low} and ${high}`);
  }
  checkShape('randint', shape);
  const g = opts.rng ?? defaultRng();
  const dtype = opts.dtype ?? 'int32';
  const data = allocate(checkDType('randint', dtype), sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = convertValue(dtype, low + g.int(high - low));
  return new Tensor(data, [...shape]);
}

/** A random permutation of 0, …, n − 1, int32. */
export function randperm(n: number, opts: RngOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new Error(`randperm: n must be a non-negative integer, got ${n}`);
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  (opts.rng ?? defaultRng()).shuffle(data);
  return new Tensor(data, [n]);
}

function checkProbabilities(op: string, p: Tensor): void {
  if (!(p instanceof Tensor)) throw new Error(`${op}: expected a Tensor of probabilities, got ${typeof p}`);
  if (!isFloating(p.dtype)) throw new Error(`${op}: probabilities must be a float tensor, got ${p.dtype} ${fmt(p.shape)}`);
}

/** 1 with probability p[i], else 0, in p's shape and dtype (torch.bernoulli); not differentiable. */
export function bernoulli(p: Tensor, opts: RngOptions = {}): Tensor {
  checkProbabilities('bernoulli', p);
  const g = opts.rng ?? defaultRng();
  const data = allocate(p.dtype, p.size);
  for (let i = 0; i < data.length; i++) {
    const q = p.data[i];
    if (!(q >= 0 && q <= 1)) throw new Error(`bernoulli: probability ${q} at ${i} is outside [0, 1] (p ${fmt(p.shape)})`);
    data[i] = g.next() < q ? 1 : 0;
  }
  return new Tensor(data, p.shape);
}

export interface MultinomialOptions extends RngOptions {
  replacement?: boolean;
}

/**
 * `numSamples` category indices per row of probs ([C] or [N, C], non-negative weights, not
 * necessarily normalised), int32 [numSamples] or [N, numSamples] (torch.multinomial). Without
 * replacement each draw removes its category, so numSamples may not exceed the nonzero weights.
 */
export function multinomial(probs: Tensor, numSamples: number, opts: MultinomialOptions = {}): Tensor {
  checkProbabilities('multinomial', probs);
  const { replacement = false } = opts;
  if (probs.ndim !== 1 && probs.ndim !== 2) throw new Error(`multinomial: probs must be [C] or [N,C], got ${fmt(probs.shape)}`);
  if (!Number.isInteger(numSamples) || numSamples <= 0) {
    throw new Error(`multinomial: numSamples must be a positive integer, got ${numSamples} (probs ${fmt(probs.shape)})`);
  }
  const rows = probs.ndim === 2 ? probs.shape[0] : 1;
  const c = probs.shape[probs.ndim - 1];
  if (!replacement && numSamples > c) {
    throw new Error(`multinomial: cannot draw ${numSamples} samples without replacement from ${c} categories (probs ${fmt(probs.shape)})`);
  }
  const g = opts.rng ?? defaultRng();
  const out = new Int32Array(rows * numSamples);
  const w = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    let positive = 0;
    for (let k = 0; k < c; k++) {
      const v = probs.data[r * c + k];
      if (!(v >= 0) || v === Infinity)
        throw new Error(`multinomial: probabilities must be finite and non-negative, got ${v} (probs ${fmt(probs.shape)})`);
      w[k] = v;
      total += v;
      if (v > 0) positive++;
    }
    if (total <= 0) throw new Error(`multinomial: row ${r} has no positive probability (probs ${fmt(probs.shape)})`);
    if (!replacement && numSamples > positive) {
      throw new Error(`multinomial: row ${r} has ${positive} nonzero probabilities, fewer than ${numSamples} samples without replacement`);
    }
    for (let s = 0; s < numSamples; s++) {
      let u = g.next() * total;
      let k = 0;
      // The last category with weight takes what rounding leaves over.
      let last = -1;
      for (; k < c; k++) {
        if (w[k] > 0) last = k;
        if (u < w[k]) break;
        u -= w[k];
      }
      if (k === c) k = last;
      out[r * numSamples + s] = k;
      if (!replacement) {
        w[k] = 0;
        total = 0;
        for (let j = 0; j < c; j++) total += w[j];
      }
    }
  }
  return new Tensor(out, probs.ndim === 2 ? [rows, numSamples] : [numSamples]);
}
