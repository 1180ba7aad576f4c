/**
 * @file Activations (SPEC §15): leakyRelu, elu, selu, celu, gelu, silu, mish, softplus, logSigmoid,
 * hardtanh, relu6, hardsigmoid, hardswish, softsign, tanhshrink, prelu, softshrink, hardshrink and
 * threshold — compositions of primitives, with PyTorch's values and PyTorch's gradients at the kinks.
 *
 * Note [step masks]: a piecewise function is written as its pieces weighted by indicators, e.g.
 * leakyRelu(x) = x · (s + (1 − s)·step(x)) with step(x) = [x > 0]. `step` is a primitive whose
 * derivative is zero (it is constant almost everywhere), so the product rule leaves exactly the
 * derivative of the piece that holds — and at a kink the piece PyTorch picks, by choosing a strict
 * `step(x − k)` or a non-strict `1 − step(k − x)`. The masks are graph nodes, computed from x when
 * the graph runs, not constants: a traced model (ONNX export) recomputes them for new inputs, where a
 * constant mask would freeze the sample's. Higher derivatives are right, the masks having none.
 *
 * Note [stable softplus]: softplus(z) = log(1 + e^z) overflows for large z; it is computed as
 * z·[z > 0] + log(1 + e^(−|z|)), with −|z| written z·(1 − 2[z > 0]) so that the derivative at 0 is
 * σ(0) = ½ (abs'(0) = 0 would give 0). logSigmoid and mish use the same form.
 */
import { defineOp } from './names';
import { kernels } from '../kernels';
import { allocateUnfilled, Storage } from '../tensor/dtype';
import { isGradEnabled } from '../autograd/mode';
import { constant } from './operands';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { add, div, exp, log, mul, sigmoid, sub, tanh, abs } from './elementwise';
import { reshape } from './shape';
import { erf } from './math';
import type { GeluApproximation } from '../kernels';
import { checkTensor } from './arguments';

/** [x > 0] in x's dtype: the indicator of Note [step masks]; its derivative is zero. NaN gives 0. */
const stepP = defineOp('step', {
  forward: ([x]) =>
    new Tensor(
      kernels().mapWith(x.data, allocateUnfilled(x.dtype, x.size), (v) => (v > 0 ? 1 : 0)),
      x.shape,
    ),
  backward: () => [null],
});

/** [x > 0], Note [step masks]. */
export function step(x: Tensor): Tensor {
  return stepP.apply([x], undefined);
}

/** [x > k] (strict) and [x ≥ k] (non-strict) as differentiation-inert masks. */
const above = (x: Tensor, k: number) => step(k === 0 ? x : sub(x, k));
const atLeast = (x: Tensor, k: number) => sub(1, step(sub(k, x)));
const below = (x: Tensor, k: number) => step(sub(k, x));
const atMost = (x: Tensor, k: number) => sub(1, step(k === 0 ? x : sub(x, k)));

function checkNumber(op: string, name: string, v: unknown, x: Tensor): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`${op}: ${name} must be a finite number, got ${String(v)} (input ${fmt(x.shape)})`);
  return v;
}

const input = (op: string, x: Tensor) => checkTensor(op, 'input', x);

/** x for x > 0, negativeSlope·x otherwise; the gradient at 0 is negativeSlope, as PyTorch. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  input('leakyRelu', x);
  const s = checkNumber('leakyRelu', 'negativeSlope', negativeSlope, x);
  return mul(x, add(mul(step(x), 1 - s), s));
}

/** x for x > 0, alpha·(e^(x·inputScale) − 1) otherwise (PyTorch's elu kernel with its scales). */
function eluCore(x: Tensor, alpha: number, inputScale: number): Tensor {
  const p = step(x);
  const q = sub(1, p);
  // e^(x·q) is e^0 where x > 0, so a large positive x cannot overflow into 0·∞.
  const negative = mul(mul(sub(exp(mul(mul(x, q), inputScale)), 1), q), alpha);
  return add(mul(x, p), negative);
}

/** x for x > 0, alpha·(eˣ − 1) otherwise; gradient alpha at 0. */
export function elu(x: Tensor, alpha = 1): Tensor {
  input('elu', x);
  return eluCore(x, checkNumber('elu', 'alpha', alpha, x), 1);
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** scale·elu(x, alpha) with the self-normalising constants. */
export function selu(x: Tensor): Tensor {
  input('selu', x);
  return mul(eluCore(x, SELU_ALPHA, 1), SELU_SCALE);
}

/** max(0, x) + min(0, alpha·(e^(x/alpha) − 1)). */
export function celu(x: Tensor, alpha = 1): Tensor {
  input('celu', x);
  const a = checkNumber('celu', 'alpha', alpha, x);
  if (a === 0) throw new Error(`celu: alpha must not be 0 (input ${fmt(x.shape)})`);
  return eluCore(x, a, 1 / a);
}

export interface GeluOptions {
  /** 'none' (default): x·Φ(x) exactly; 'tanh': the tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/** GELU's primitive's attributes: which form (Note [fused gelu]). */
interface GeluAttrs {
  approximate: GeluApproximation;
}

const describeGelu = ({ approximate }: GeluAttrs) => (approximate === 'tanh' ? 'approximate=tanh' : '');

/** gelu'(x) written with ops: Φ(x) + x·φ(x), or the tanh form's ½(1 + t) + ½x(1 − t²)u'. */
function geluDerivative(x: Tensor, approximate: GeluApproximation): Tensor {
  if (approximate === 'tanh') {
    const t = tanh(mul(add(x, mul(mul(mul(x, x), x), KAPPA)), BETA));
    const du = mul(add(mul(mul(x, x), 3 * KAPPA), 1), BETA);
    return add(mul(add(t, 1), 0.5), mul(mul(mul(x, 0.5), sub(1, mul(t, t))), du));
  }
  return add(normalCdf(x), mul(x, normalPdf(x)));
}

/** gelu''(x) written with ops: φ(x)(2 − x²), or the tanh form's (1 − t²)(u' + ½x(u'' − 2t·u'²)). */
function geluSecondDerivative(x: Tensor, approximate: GeluApproximation): Tensor {
  if (approximate === 'tanh') {
    const t = tanh(mul(add(x, mul(mul(mul(x, x), x), KAPPA)), BETA));
    const du = mul(add(mul(mul(x, x), 3 * KAPPA), 1), BETA);
    const ddu = mul(x, 6 * KAPPA * BETA);
    return mul(sub(1, mul(t, t)), add(du, mul(mul(x, 0.5), sub(ddu, mul(mul(t, 2), mul(du, du))))));
  }
  return mul(normalPdf(x), sub(2, mul(x, x)));
}

/** Φ(x) = ½(1 + erf(x/√2)) and φ(x) = e^(−x²/2)/√(2π), with ops. */
const normalCdf = (x: Tensor) => mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
const normalPdf = (x: Tensor) => mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
/** √(2/π) and the cubic coefficient of the tanh form (PyTorch's kBeta, kKappa). */
const BETA = Math.sqrt(2 / Math.PI);
const KAPPA = 0.044715;

/**
 * Note [fused gelu]: gelu is one primitive, not x·Φ(x) composed: a transformer's feed-forward
 * applies it to its widest activations, where the composition's passes (and, for the exact form, an
 * erf per element through a closure) were a sixth of a training step. Its forward and its backward
 * (`geluGrad`, gy·gelu'(x); since Note [saved gelu slope] only while a backward is recorded, a
 * multiply by the saved slope otherwise) are one kernel each, a WebAssembly SIMD loop for float32
 * above a size (assembly/gelu.ts, Note [gelu threshold]) and PyTorch's formulas in TypeScript
 * otherwise (the float64 reference). Higher derivatives stay the engine's: geluGrad's own backward
 * is written with ops (gelu'(x) and gelu''(x) above), so gradgradcheck and createGraph see through
 * it.
 */
const geluP = defineOp<GeluAttrs, Storage | null>('gelu', {
  forward: ([x], { approximate }) => {
    // Note [saved gelu slope]: only a forward that will be recorded keeps the slope.
    const slope = isGradEnabled() && x.requiresGrad ? allocateUnfilled(x.dtype, x.size) : null;
    const y = kernels().gelu(approximate, x.data, allocateUnfilled(x.dtype, x.size), slope);
    return { y: new Tensor(y, x.shape), saved: slope };
  },
  backward: (gy, [x], _y, attrs, slope) => {
    if (isGradEnabled() || slope === null) return [geluGradP.apply([gy, x], attrs)];
    const out = allocateUnfilled(x.dtype, x.size);
    return [constant(kernels().binary('mul', gy.data, gy.shape, slope, x.shape, x.shape, out), x.shape)];
  },
  describe: describeGelu,
});

/*
 * Note [saved gelu slope]: the exact GELU's backward computed gelu'(x) = Φ(x) + x·φ(x) again from x —
 * two exponentials, erfc's fit and a division per element, as much as the forward (12 ms of a
 * transformer step's 190). The forward has Φ(x) and the density in hand, so a forward that will be
 * recorded also writes gelu'(x) (the same operations as geluBackward, so the same bits in
 * WebAssembly and in float64; the TypeScript float32 path rounds the slope before the multiply, within
 * an ulp of geluBackward's), and the backward is gy·gelu'(x), one multiply. The price: a recorded
 * GELU keeps an x-sized slope until its graph is freed, and computes it even if no backward runs
 * (an evaluation loop outside noGrad). While a backward is itself recorded (second derivatives) it
 * is geluGrad as before, whose own backward is written with ops.
 */

/** gy·gelu'(x): gelu's backward as one kernel (Note [fused gelu]). */
const geluGradP = defineOp<GeluAttrs>('geluGrad', {
  forward: ([gy, x], { approximate }) =>
    new Tensor(kernels().geluBackward(approximate, gy.data, x.data, allocateUnfilled(x.dtype, x.size)), x.shape),
  backward: (ggx, [gy, x], _y, { approximate }) => [
    gy.requiresGrad ? mul(ggx, geluDerivative(x, approximate)) : null,
    x.requiresGrad ? mul(mul(ggx, gy), geluSecondDerivative(x, approximate)) : null,
  ],
  describe: describeGelu,
});

/** x·Φ(x); with approximate 'tanh', ½x(1 + tanh(√(2/π)(x + 0.044715x³))). One primitive (Note [fused gelu]). */
export function gelu(x: Tensor, opts: GeluOptions = {}): Tensor {
  input('gelu', x);
  const approximate = opts.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh')
    throw new Error(`gelu: approximate must be 'none' or 'tanh', got '${String(approximate)}' (input ${fmt(x.shape)})`);
  return geluP.apply([x], { approximate });
}

/** x·σ(x). */
export function silu(x: Tensor): Tensor {
  input('silu', x);
  return mul(x, sigmoid(x));
}

/** Note [stable softplus]: log(1 + e^z) for any z. */
function softplusStable(z: Tensor): Tensor {
  const p = step(z);
  const negAbs = mul(z, sub(1, mul(p, 2)));
  return add(mul(z, p), log(add(exp(negAbs), 1)));
}

/** x·tanh(softplus(x)). */
export function mish(x: Tensor): Tensor {
  input('mish', x);
  return mul(x, tanh(softplusStable(x)));
}

export interface SoftplusOptions {
  beta?: number;
  /** Above this, beta·x is returned as x (PyTorch's linear region); default 20. */
  threshold?: number;
}

/** log(1 + e^(beta·x)) / beta, and x itself where beta·x > threshold, as PyTorch. */
export function softplus(x: Tensor, opts: SoftplusOptions = {}): Tensor {
  input('softplus', x);
  const beta = checkNumber('softplus', 'beta', opts.beta ?? 1, x);
  const threshold = checkNumber('softplus', 'threshold', opts.threshold ?? 20, x);
  if (beta === 0) throw new Error(`softplus: beta must not be 0 (input ${fmt(x.shape)})`);
  const z = beta === 1 ? x : mul(x, beta);
  const linear = above(z, threshold);
  const smooth = beta === 1 ? softplusStable(z) : div(softplusStable(z), beta);
  return add(mul(x, linear), mul(smooth, sub(1, linear)));
}

/** log σ(x) = −softplus(−x), stable for any x. */
export function logSigmoid(x: Tensor): Tensor {
  input('logSigmoid', x);
  return mul(softplusStable(mul(x, -1)), -1);
}

/** x clamped to [min, max]; the gradient is 1 strictly inside and 0 at and beyond the ends, as PyTorch. */
export function hardtanh(x: Tensor, min = -1, max = 1): Tensor {
  input('hardtanh', x);
  checkNumber('hardtanh', 'min', min, x);
  checkNumber('hardtanh', 'max', max, x);
  if (max < min) throw new Error(`hardtanh: max ${max} must be at least min ${min} (input ${fmt(x.shape)})`);
  const low = atMost(x, min);
  const high = mul(atLeast(x, max), sub(1, low));
  const inside = mul(above(x, min), below(x, max));
  return add(add(mul(x, inside), mul(low, min)), mul(high, max));
}

/** min(max(x, 0), 6): hardtanh(x, 0, 6). */
export function relu6(x: Tensor): Tensor {
  input('relu6', x);
  return hardtanh(x, 0, 6);
}

/** 0 for x ≤ −3, 1 for x ≥ 3, x/6 + ½ between (gradient 1/6 strictly inside). */
export function hardsigmoid(x: Tensor): Tensor {
  input('hardsigmoid', x);
  const inside = mul(above(x, -3), below(x, 3));
  return add(mul(inside, add(div(x, 6), 0.5)), atLeast(x, 3));
}

/**
 * x·hardsigmoid(x): 0 for x ≤ −3, x for x ≥ 3, x(x + 3)/6 between. The gradient is −½ at −3 and 1
 * at 3, as PyTorch's vectorised kernel computes it (its scalar tail, for the last few elements of a
 * tensor, gives 1.5 at 3).
 */
export function hardswish(x: Tensor): Tensor {
  input('hardswish', x);
  const middle = mul(atLeast(x, -3), below(x, 3));
  return add(mul(middle, div(mul(x, add(x, 3)), 6)), mul(atLeast(x, 3), x));
}

/** x / (1 + |x|). */
export function softsign(x: Tensor): Tensor {
  input('softsign', x);
  return div(x, add(abs(x), 1));
}

/** x − tanh(x). */
export function tanhshrink(x: Tensor): Tensor {
  input('tanhshrink', x);
  return sub(x, tanh(x));
}

/**
 * leakyRelu with a learned slope: weight has one entry, or one per channel (axis 1 of x).
 * The gradient at 0 goes to x with the slope weight, none to the weight, as PyTorch.
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  input('prelu', x);
  checkTensor('prelu', 'weight', weight);
  const channels = x.ndim >= 2 ? x.shape[1] : 1;
  if (weight.ndim > 1 || (weight.size !== 1 && weight.size !== channels)) {
    throw new Error(`prelu: weight ${fmt(weight.shape)} must have 1 or ${channels} (the channels, axis 1) entries (input ${fmt(x.shape)})`);
  }
  const w =
    weight.size === 1 || x.ndim < 2
      ? reshape(weight, [])
      : reshape(
          weight,
          x.shape.map((n, d) => (d === 1 ? n : 1)),
        );
  const p = step(x);
  return mul(x, add(p, mul(sub(1, p), w)));
}

/** x − λ above λ, x + λ below −λ, 0 between (gradient 0 at ±λ). */
export function softshrink(x: Tensor, lambd = 0.5): Tensor {
  input('softshrink', x);
  const l = checkNumber('softshrink', 'lambd', lambd, x);
  if (l < 0) throw new Error(`softshrink: lambd must be non-negative, got ${l} (input ${fmt(x.shape)})`);
  return add(mul(above(x, l), sub(x, l)), mul(below(x, -l), add(x, l)));
}

/** x where |x| > λ, 0 elsewhere. */
export function hardshrink(x: Tensor, lambd = 0.5): Tensor {
  input('hardshrink', x);
  const l = checkNumber('hardshrink', 'lambd', lambd, x);
  return mul(x, add(above(x, l), below(x, -l)));
}

/** x where x > threshold, value elsewhere. */
export function threshold(x: Tensor, threshold: number, value: number): Tensor {
  input('threshold', x);
  const t = above(x, checkNumber('threshold', 'threshold', threshold, x));
  return add(mul(x, t), mul(sub(1, t), checkNumber('threshold', 'value', value, x)));
}

declare module '../tensor/tensor' {
  interface Tensor {
    leakyRelu(negativeSlope?: number): Tensor;
    elu(alpha?: number): Tensor;
    selu(): Tensor;
    celu(alpha?: number): Tensor;
    gelu(opts?: GeluOptions): Tensor;
    silu(): Tensor;
    mish(): Tensor;
    softplus(opts?: SoftplusOptions): Tensor;
    logSigmoid(): Tensor;
    hardtanh(min?: number, max?: number): Tensor;
    relu6(): Tensor;
    hardsigmoid(): Tensor;
    hardswish(): Tensor;
    softsign(): Tensor;
    tanhshrink(): Tensor;
    prelu(weight: Tensor): Tensor;
    softshrink(lambd?: number): Tensor;
    hardshrink(lambd?: number): Tensor;
    threshold(threshold: number, value: number): Tensor;
  }
}
