/**
 * @file GELU's forward and backward as single loops (Note [fused gelu] in src/ops/activations.ts), with
 * PyTorch's formulas and constants: exact, x·½(1 + erf(x/√2)) and gy·(Φ(x) + x·φ(x)); the tanh form,
 * ½x(1 + tanh(√(2/π)(x + 0.044715x³))) and its derivative as PyTorch's GeluBackward writes it. In
 * float64 these are the reference; float32 above a size runs assembly/gelu.ts instead.
 */
import type { Storage } from '../../tensor/dtype';
import type { GeluApproximation } from '../kernels';
import { erf } from './special';

/** √(2/π) and the cubic coefficient of the tanh form (PyTorch's kBeta, kKappa); 1/√(2π). */
const BETA = Math.SQRT2 * (2 / Math.sqrt(Math.PI)) * 0.5;
const KAPPA = 0.044715;
const INV_SQRT_2PI = (2 / Math.sqrt(Math.PI)) * Math.SQRT1_2 * 0.5;

export function gelu(approximate: GeluApproximation, x: Storage, out: Storage, slope: Storage | null = null): Storage {
  const n = x.length;
  if (slope !== null) {
    // The slope as geluBackward computes it (the same expressions: its bits in float64; float32
    // storage rounds it before the multiply), the value from the same terms.
    if (approximate === 'tanh') {
      for (let i = 0; i < n; i++) {
        const v = x[i];
        // The value's own expression (its products in gelu's order below), the slope geluBackward's.
        out[i] = 0.5 * v * (1 + Math.tanh(BETA * (v + KAPPA * v * v * v)));
        slope[i] = tanhSlope(v);
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = x[i];
        const e = erf(v * Math.SQRT1_2);
        out[i] = v * 0.5 * (1 + e);
        slope[i] = exactSlope(v, e);
      }
    }
    return out;
  }
  if (approximate === 'tanh') {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      out[i] = 0.5 * v * (1 + Math.tanh(BETA * (v + KAPPA * v * v * v)));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      out[i] = v * 0.5 * (1 + erf(v * Math.SQRT1_2));
    }
  }
  return out;
}

export function geluBackward(approximate: GeluApproximation, gy: Storage, x: Storage, out: Storage): Storage {
  const n = x.length;
  if (approximate === 'tanh') {
    for (let i = 0; i < n; i++) out[i] = gy[i] * tanhSlope(x[i]);
  } else {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      out[i] = gy[i] * exactSlope(v, erf(v * Math.SQRT1_2));
    }
  }
  return out;
}

/** The tanh form's gelu'(v): ½(1 + t) + ½v(1 − t²)·√(2/π)(1 + 3·0.044715v²), t = tanh(√(2/π)(v + 0.044715v³)). */
function tanhSlope(v: number): number {
  const v2 = v * v;
  const t = Math.tanh(BETA * (v + KAPPA * v2 * v));
  return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * BETA * (1 + 3 * KAPPA * v2);
}

/** The exact form's gelu'(v) = Φ(v) + v·φ(v), from e = erf(v/√2). */
function exactSlope(v: number, e: number): number {
  return 0.5 * (1 + e) + v * (Math.exp(-0.5 * v * v) * INV_SQRT_2PI);
}
