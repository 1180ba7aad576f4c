/** @file The two ways to ask for gradients: `y.backward()` into `.grad`, and `tg.grad()` returned. */
import { ones } from '../tensor/create';
import { fmt, sameShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { runBackward } from './engine';
import { convertGradient } from './accumulate';

export interface BackwardOptions {
  retainGraph?: boolean;
}

export interface GradOptions {
  gradOutputs?: readonly Tensor[];
  retainGraph?: boolean;
  createGraph?: boolean;
  allowUnused?: boolean;
}

function seedGradient(op: string, y: Tensor, g: Tensor | undefined): Tensor {
  if (!y.requiresGrad) {
    throw new Error(`${op}: tensor of shape ${fmt(y.shape)} does not require grad and has no node to differentiate`);
  }
  if (g !== undefined && !(g instanceof Tensor)) {
    throw new Error(`${op}: the gradient for the output of shape ${fmt(y.shape)} must be a Tensor, got ${typeof g}`);
  }
  if (g === undefined) {
    if (y.size !== 1) {
      throw new Error(
        `${op}: a gradient can be created implicitly only for a one-element output, got shape ${fmt(y.shape)}; pass one of that shape`,
      );
    }
    return ones(y.shape, { dtype: y.dtype });
  }
  if (!sameShape(g.shape, y.shape)) {
    throw new Error(`${op}: gradient of shape ${fmt(g.shape)} does not match output of shape ${fmt(y.shape)}`);
  }
  return g;
}

/** The seed in the output's dtype, through a primitive so a seed that requires grad stays in the graph. */
function castLike(g: Tensor, y: Tensor): Tensor {
  return g.dtype === y.dtype ? g : convertGradient.apply([g], { dtype: y.dtype });
}

/** Accumulates d(y)/d(leaf) · grad into the `.grad` of every leaf that requires grad. */
export function backward(y: Tensor, grad?: Tensor, opts: BackwardOptions = {}): void {
  const g = castLike(seedGradient('backward', y, grad), y);
  runBackward([y], [g], { op: 'backward', retainGraph: opts.retainGraph ?? false, createGraph: false });
}

/** Gradients of `outputs` with respect to `inputs`, returned without touching `.grad`. */
export function grad(outputs: Tensor | readonly Tensor[], inputs: readonly Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const ys = outputs instanceof Tensor ? [outputs] : [...outputs];
  if (opts.gradOutputs !== undefined && opts.gradOutputs.length !== ys.length) {
    throw new Error(`grad: ${opts.gradOutputs.length} gradOutputs given for ${ys.length} outputs`);
  }
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new Error(`grad: input ${i} is not a Tensor`);
    if (!x.requiresGrad) throw new Error(`grad: input ${i} of shape ${fmt(x.shape)} does not require grad`);
  });
  const gs = ys.map((y, i) => castLike(seedGradient('grad', y, opts.gradOutputs?.[i]), y));
  const createGraph = opts.createGraph ?? false;
  const result = runBackward(ys, gs, { op: 'grad', retainGraph: opts.retainGraph ?? createGraph, createGraph, inputs });
  result.forEach((g, i) => {
    if (g === null && !opts.allowUnused) {
      throw new Error(
        `grad: input ${i} of shape ${fmt(inputs[i].shape)} was not used to compute the outputs; pass {allowUnused: true} to get null for it`,
      );
    }
  });
  return result;
}

declare module '../tensor/tensor' {
  interface Tensor {
    /** Backpropagates from this tensor into the `.grad` of the leaves (SPEC §6). */
    backward(grad?: Tensor, opts?: BackwardOptions): void;
  }
}

Tensor.prototype.backward = function (this: Tensor, g?: Tensor, opts?: BackwardOptions): void {
  backward(this, g, opts);
};
