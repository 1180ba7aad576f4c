/**
 * @file Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_: in place on the
 * parameters' .grad, between backward() and optimizer.step().
 *
 * Note [clip coefficient]: clipGradNorm_ scales every gradient by min(1, maxNorm / (total + 1e-6)),
 * PyTorch's coefficient, the 1e-6 keeping a zero norm finite; the total norm is the norm of the
 * per-parameter norms (for p = ∞, their maximum), which is the norm of all gradients concatenated.
 * The norms are accumulated in float64 whatever the gradients' dtype; a float32 gradient is scaled by
 * the coefficient rounded to float32, as PyTorch multiplies in the gradient's dtype.
 */
import { Tensor } from '../../tensor/tensor';

export interface ClipGradNormOptions {
  /** The norm's order p: any positive number, or Infinity (the largest |g|). */
  normType?: number;
  /** Throw when the total norm is NaN or ±Infinity (otherwise the gradients are scaled by NaN, as PyTorch). */
  errorIfNonfinite?: boolean;
}

function gradients(op: string, params: Tensor | Iterable<Tensor>): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${op}: parameter ${i} is not a Tensor`);
  });
  return list.filter((p) => p.grad !== null).map((p) => p.grad as Tensor);
}

/** The p-norm of one storage, in float64 (for p = ∞, the largest absolute value). */
function norm(data: ArrayLike<number>, p: number): number {
  let acc = 0;
  if (p === Infinity) {
    for (let i = 0; i < data.length; i++) {
      const a = Math.abs(data[i]);
      if (a > acc || Number.isNaN(a)) acc = a;
    }
    return acc;
  }
  if (p === 2) {
    for (let i = 0; i < data.length; i++) acc += data[i] * data[i];
    return Math.sqrt(acc);
  }
  for (let i = 0; i < data.length; i++) acc += Math.abs(data[i]) ** p;
  return acc ** (1 / p);
}

/**
 * Scales the gradients of `params` in place so that their total p-norm is at most maxNorm (Note
 * [clip coefficient]); returns the total norm before clipping. Parameters without a gradient are
 * skipped; with none at all the norm is 0.
 */
export function clipGradNorm_(params: Tensor | Iterable<Tensor>, maxNorm: number, opts: ClipGradNormOptions = {}): number {
  const op = 'clipGradNorm_';
  const p = opts.normType ?? 2;
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) throw new Error(`${op}: maxNorm must be a number, got ${maxNorm}`);
  if (typeof p !== 'number' || !(p > 0)) throw new Error(`${op}: normType must be a positive number or Infinity, got ${p}`);
  const grads = gradients(op, params);
  if (grads.length === 0) return 0;
  const norms = grads.map((g) => norm(g.data, p));
  const total = norm(norms, p);
  if (opts.errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(
      `${op}: the total norm of order ${p} of the gradients of ${grads.length} parameters is ${total}, so they cannot be clipped; ` +
        'pass errorIfNonfinite: false to scale them anyway',
    );
  }
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  for (const g of grads) {
    const c = g.dtype === 'float32' ? Math.fround(coef) : coef;
    if (c === 1) continue;
    const d = g.data;
    for (let i = 0; i < d.length; i++) d[i] = d[i] * c;
  }
  return total;
}

/** Clamps every gradient of `params` in place to [-clipValue, clipValue]. */
export function clipGradValue_(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  const op = 'clipGradValue_';
  if (typeof clipValue !== 'number' || !(clipValue >= 0))
    throw new Error(`${op}: clipValue must be a non-negative number, got ${clipValue}`);
  for (const g of gradients(op, params)) {
    const d = g.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v > clipValue) d[i] = clipValue;
      else if (v < -clipValue) d[i] = -clipValue;
    }
  }
}
