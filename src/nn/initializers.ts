/**
 * @file tg.nn.init: filling a tensor in place with torch.nn.init's distributions, under noGrad, from
 * the seeded generator (`opts.rng`, else the default one); each returns the tensor it filled.
 *
 * Fans are PyTorch's: for a weight of shape [out, in, ...kernel], fanIn = in·∏kernel and
 * fanOut = out·∏kernel (Linear's [out, in] has no kernel dimensions); fewer than two dimensions throws.
 * kaiming and xavier scale a unit distribution by calculateGain(nonlinearity) and the fan:
 * uniform bounds are √3·std, so the variance is the same as the normal variant's.
 */
import { noGrad } from '../autograd/mode';
import { defaultRng, Rng } from '../random/rng';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

export interface RngOption {
  rng?: Rng;
}

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

function check(op: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${op}: expected a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new Error(`${op}: expected a float32 or float64 tensor, got ${t.dtype}`);
  return t;
}

/** Writes fn(i) into every element of t, without recording a graph. */
function fill(t: Tensor, fn: (i: number) => number): Tensor {
  noGrad(() => {
    const d = t.data;
    for (let i = 0; i < d.length; i++) d[i] = fn(i);
  });
  return t;
}

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain); param is leaky_relu's slope (default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new Error(`calculateGain: negative slope ${slope} is not a number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${nonlinearity}'`);
  }
}

/** fanIn and fanOut of a weight [out, in, ...kernel] (torch's _calculate_fan_in_and_fan_out). */
function calculateFans(op: string, t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new Error(`${op}: fan in and fan out need at least 2 dimensions, got shape ${fmt(t.shape)}`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

/** Fills t with U(a, b). */
export function uniform_(t: Tensor, a = 0, b = 1, opts: RngOption = {}): Tensor {
  check('uniform_', t);
  if (!(a <= b)) throw new Error(`uniform_: needs a <= b, got a = ${a}, b = ${b}`);
  const g = opts.rng ?? defaultRng();
  return fill(t, () => g.uniform(a, b));
}

/** Fills t with N(mean, std²). */
export function normal_(t: Tensor, mean = 0, std = 1, opts: RngOption = {}): Tensor {
  check('normal_', t);
  if (!(std >= 0)) throw new Error(`normal_: std must be non-negative, got ${std}`);
  const g = opts.rng ?? defaultRng();
  return fill(t, () => mean + std * g.normal());
}

/** Fills t with `value`. */
export function constant_(t: Tensor, value: number): Tensor {
  check('constant_', t);
  return fill(t, () => value);
}

export function zeros_(t: Tensor): Tensor {
  return constant_(check('zeros_', t), 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(check('ones_', t), 1);
}

/** The identity in a 2-d tensor (ones on the diagonal of a rectangular one). */
export function eye_(t: Tensor): Tensor {
  check('eye_', t);
  if (t.ndim !== 2) throw new Error(`eye_: needs a 2-d tensor, got shape ${fmt(t.shape)}`);
  const cols = t.shape[1];
  return fill(t, (i) => (Math.floor(i / cols) === i % cols ? 1 : 0));
}

/**
 * The Dirac delta in a 3-, 4- or 5-d conv weight [out, in, ...kernel]: a one at the kernel's centre
 * where out channel = in channel (per group), so the convolution passes its input channels through.
 */
export function dirac_(t: Tensor, groups = 1): Tensor {
  check('dirac_', t);
  if (t.ndim < 3 || t.ndim > 5) throw new Error(`dirac_: needs a 3-, 4- or 5-d tensor, got shape ${fmt(t.shape)}`);
  if (!Number.isInteger(groups) || groups < 1 || t.shape[0] % groups !== 0) {
    throw new Error(`dirac_: the ${t.shape[0]} output channels of shape ${fmt(t.shape)} do not split into ${groups} groups`);
  }
  const perGroup = t.shape[0] / groups;
  const minDim = Math.min(perGroup, t.shape[1]);
  const kernel = t.shape.slice(2);
  const kernelSize = kernel.reduce((a, b) => a * b, 1);
  // The centre's flat offset within one kernel (floor(k/2) along each axis, as PyTorch's k // 2).
  let centre = 0;
  for (const k of kernel) centre = centre * k + Math.floor(k / 2);
  noGrad(() => {
    t.data.fill(0);
    for (let g = 0; g < groups; g++) {
      for (let d = 0; d < minDim; d++) t.data[((g * perGroup + d) * t.shape[1] + d) * kernelSize + centre] = 1;
    }
  });
  return t;
}

/**
 * Note [PyTorch's positional init arguments]: the initialisers with options (xavier*, kaiming*,
 * orthogonal_, truncNormal_) take them as an object (`{gain, rng}`), or, as PyTorch spells them, as
 * numbers in PyTorch's order — `xavierUniform_(t, gain)`, `kaimingNormal_(t, a, mode, nonlinearity)`,
 * `orthogonal_(t, gain)`, `truncNormal_(t, mean, std, a, b)` — with `{rng}` after them. So a
 * PyTorch-style call is not silently read as the defaults.
 */
type GainOptions = { gain?: number } & RngOption;

function gainOptions(op: string, x: GainOptions | number | undefined, rest: RngOption | undefined): GainOptions {
  if (typeof x === 'number') return { ...rest, gain: x };
  if (x !== undefined && (x === null || typeof x !== 'object')) throw new Error(`${op}: expected a gain or {gain, rng}, got ${x}`);
  return x ?? {};
}

/** Glorot uniform: U(±gain·√(6 / (fanIn + fanOut))). */
export function xavierUniform_(t: Tensor, gainOrOpts?: GainOptions | number, rngOpts?: RngOption): Tensor {
  const opts = gainOptions('xavierUniform_', gainOrOpts, rngOpts);
  const { fanIn, fanOut } = calculateFans('xavierUniform_', check('xavierUniform_', t));
  const std = (opts.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound, opts);
}

/** Glorot normal: N(0, gain²·2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gainOrOpts?: GainOptions | number, rngOpts?: RngOption): Tensor {
  const opts = gainOptions('xavierNormal_', gainOrOpts, rngOpts);
  const { fanIn, fanOut } = calculateFans('xavierNormal_', check('xavierNormal_', t));
  return normal_(t, 0, (opts.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

export interface KaimingOptions extends RngOption {
  /** The negative slope of the leaky ReLU that follows (only for 'leaky_relu'). */
  a?: number;
  /** 'fanIn' keeps the forward pass's variance, 'fanOut' the backward pass's ('fan_in'/'fan_out' too). */
  mode?: 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
}

type KaimingMode = NonNullable<KaimingOptions['mode']>;

function kaimingOptions(
  op: string,
  x: KaimingOptions | number | undefined,
  mode: KaimingMode | undefined,
  nonlinearity: Nonlinearity | undefined,
  rest: RngOption | undefined,
): KaimingOptions {
  if (typeof x === 'number') return { ...rest, a: x, mode, nonlinearity };
  if (x !== undefined && (x === null || typeof x !== 'object'))
    throw new Error(`${op}: expected a slope a or {a, mode, nonlinearity, rng}, got ${x}`);
  return x ?? {};
}

function kaimingStd(op: string, t: Tensor, opts: KaimingOptions): number {
  const mode = opts.mode ?? 'fanIn';
  if (!['fanIn', 'fanOut', 'fan_in', 'fan_out'].includes(mode)) throw new Error(`${op}: mode must be 'fanIn' or 'fanOut', got '${mode}'`);
  const { fanIn, fanOut } = calculateFans(op, t);
  const fan = mode === 'fanIn' || mode === 'fan_in' ? fanIn : fanOut;
  return calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0) / Math.sqrt(fan);
}

/** He uniform: U(±gain·√(3 / fan)), gain = calculateGain(nonlinearity, a). A tensor with no elements is left alone. */
export function kaimingUniform_(
  t: Tensor,
  aOrOpts?: KaimingOptions | number,
  mode?: KaimingMode,
  nonlinearity?: Nonlinearity,
  rngOpts?: RngOption,
): Tensor {
  const opts = kaimingOptions('kaimingUniform_', aOrOpts, mode, nonlinearity, rngOpts);
  check('kaimingUniform_', t);
  if (t.size === 0) return t;
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, opts);
  return uniform_(t, -bound, bound, opts);
}

/** He normal: N(0, gain² / fan). A tensor with no elements is left alone. */
export function kaimingNormal_(
  t: Tensor,
  aOrOpts?: KaimingOptions | number,
  mode?: KaimingMode,
  nonlinearity?: Nonlinearity,
  rngOpts?: RngOption,
): Tensor {
  const opts = kaimingOptions('kaimingNormal_', aOrOpts, mode, nonlinearity, rngOpts);
  check('kaimingNormal_', t);
  if (t.size === 0) return t;
  return normal_(t, 0, kaimingStd('kaimingNormal_', t, opts), opts);
}

/**
 * A (semi-)orthogonal matrix, as torch.nn.init.orthogonal_: t viewed as [rows, cols] (cols the rest
 * of the dimensions) gets the Q of the QR decomposition of a standard normal matrix (of its transpose
 * when rows < cols), its columns' signs fixed so R's diagonal is positive — the Haar-distributed Q —
 * times gain. So rows ≤ cols gives orthonormal rows, rows ≥ cols orthonormal columns.
 */
export function orthogonal_(t: Tensor, gainOrOpts?: GainOptions | number, rngOpts?: RngOption): Tensor {
  const opts = gainOptions('orthogonal_', gainOrOpts, rngOpts);
  check('orthogonal_', t);
  if (t.ndim < 2) throw new Error(`orthogonal_: needs at least 2 dimensions, got shape ${fmt(t.shape)}`);
  if (t.size === 0) return t;
  const g = opts.rng ?? defaultRng();
  const gain = opts.gain ?? 1;
  const rows = t.shape[0];
  const cols = t.size / rows;
  const a = Float64Array.from({ length: rows * cols }, () => g.normal());
  // The QR below wants a tall matrix: m ≥ n.
  const tall = rows >= cols;
  const [m, n] = tall ? [rows, cols] : [cols, rows];
  const x = tall ? a : transposed(a, rows, cols);
  const q = householderQ(x, m, n);
  return fill(t, (i) => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    return gain * (tall ? q[r * n + c] : q[c * n + r]);
  });
}

function transposed(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/** The thin Q [m, n] (m ≥ n) of a = QR by Householder reflections, signs fixed so diag(R) ≥ 0. */
function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const r = Float64Array.from(a);
  const vs: Float64Array[] = [];
  const diag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = k; i < m; i++) s += r[i * n + k] * r[i * n + k];
    const normX = Math.sqrt(s);
    const x0 = r[k * n + k];
    const alpha = x0 > 0 ? -normX : normX;
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = r[i * n + k];
    v[0] -= alpha;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i] * v[i];
    if (vv > 0) {
      for (let j = k; j < n; j++) {
        let dot = 0;
        for (let i = k; i < m; i++) dot += v[i - k] * r[i * n + j];
        const f = (2 * dot) / vv;
        for (let i = k; i < m; i++) r[i * n + j] -= f * v[i - k];
      }
    }
    vs.push(v);
    diag[k] = vv > 0 ? alpha : x0;
  }
  // Q = H0·H1·…·H(n-1)·I[:, :n], applied from the last reflection back.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * q[i * n + j];
      const f = (2 * dot) / vv;
      for (let i = k; i < m; i++) q[i * n + j] -= f * v[i - k];
    }
  }
  for (let j = 0; j < n; j++) {
    if (diag[j] < 0) for (let i = 0; i < m; i++) q[i * n + j] = -q[i * n + j];
  }
  return q;
}

/**
 * N(mean, std²) truncated to [a, b], by PyTorch's method: a uniform draw between the normal CDF's
 * values at a and b, mapped back through the inverse CDF, clamped to [a, b] against rounding.
 */
type TruncNormalOptions = { mean?: number; std?: number; a?: number; b?: number } & RngOption;

export function truncNormal_(
  t: Tensor,
  meanOrOpts?: TruncNormalOptions | number,
  stdArg?: number,
  aArg?: number,
  bArg?: number,
  rngOpts?: RngOption,
): Tensor {
  let opts: TruncNormalOptions;
  if (typeof meanOrOpts === 'number') opts = { ...rngOpts, mean: meanOrOpts, std: stdArg, a: aArg, b: bArg };
  else if (meanOrOpts !== undefined && (meanOrOpts === null || typeof meanOrOpts !== 'object')) {
    throw new Error(`truncNormal_: expected a mean or {mean, std, a, b, rng}, got ${meanOrOpts}`);
  } else opts = meanOrOpts ?? {};
  check('truncNormal_', t);
  const { mean = 0, std = 1, a = -2, b = 2 } = opts;
  if (!(std > 0)) throw new Error(`truncNormal_: std must be positive, got ${std}`);
  if (!(a < b)) throw new Error(`truncNormal_: needs a < b, got a = ${a}, b = ${b}`);
  const g = opts.rng ?? defaultRng();
  const lo = normalCdf((a - mean) / std);
  const hi = normalCdf((b - mean) / std);
  return fill(t, () => {
    const z = inverseNormalCdf(g.uniform(lo, hi));
    return Math.min(b, Math.max(a, mean + std * z));
  });
}

/** erf by its Taylor series near 0 and erfc's continued fraction beyond (|error| < 1e-13). */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), evaluated from the tail (Lentz not needed at x ≥ 2.5).
  let f = 0;
  for (let k = 60; k >= 1; k--) f = k / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return x > 0 ? 1 - erfc : erfc - 1;
}

function normalCdf(x: number): number {
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/** Φ⁻¹(p): Acklam's rational approximation refined by two Newton steps on normalCdf. */
function inverseNormalCdf(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const A = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const C = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
      (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  }
  for (let i = 0; i < 2; i++) {
    const density = Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
    if (density === 0) break;
    x -= (normalCdf(x) - p) / density;
  }
  return x;
}
