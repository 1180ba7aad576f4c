/**
 * @file tg.func: vjp, jvp, jacobian, hessian and hvp with torch.autograd.functional's semantics
 * (SPEC §11), built on tg.grad and the public ops. Each works on fresh leaves that share the primals' values, so no input's `.grad` is
 * touched; an input the output does not depend on gets zeros.
 *
 * Note [jvp by double vjp]: a vector-Jacobian product u ↦ uᵀJ is linear in u, and its own vjp with
 * respect to u, taken against the tangent t, is J·t. So jvp records the vjp against a zero cotangent
 * u that requires grad (createGraph), then differentiates that with respect to u. Every backward rule
 * is written with differentiable ops, so this is exact — not a finite difference — and costs two
 * backward passes.
 */
// Every Tensor method exists once any layer is loaded (Note [methods installed in one place]).
import '../ops/tensor-methods';
import { grad } from '../autograd/grad';
import { enableGrad } from '../autograd/mode';
import { add, mul } from '../ops/elementwise';
import { cast } from '../ops/operands';
import { sum } from '../ops/reduce';
import { concat, reshape } from '../ops/shape';
import { ones, zeros } from '../tensor/create';
import { fmt, sameShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

type Fn = (...inputs: Tensor[]) => Tensor;

/** Leaves with the primals' values (shared storage) that require grad, outside any caller's graph. */
function leaves(op: string, primals: readonly Tensor[]): Tensor[] {
  if (!Array.isArray(primals) || primals.length === 0) throw new Error(`${op}: expected a non-empty array of input tensors`);
  return primals.map((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${op}: input ${i} is not a Tensor`);
    return new Tensor(p.data, p.shape, true, p.name);
  });
}

function call(op: string, fn: Fn, xs: Tensor[]): Tensor {
  const y = enableGrad(() => fn(...xs));
  if (!(y instanceof Tensor)) throw new Error(`${op}: fn must return a Tensor, got ${typeof y}`);
  return y;
}

function checkLike(op: string, what: string, given: readonly Tensor[] | undefined, like: readonly Tensor[]): void {
  if (given === undefined) return;
  if (given.length !== like.length)
    throw new Error(`${op}: ${given.length} ${what} for ${like.length} ${what === 'cotangents' ? 'outputs' : 'inputs'}`);
  given.forEach((g, i) => {
    if (!(g instanceof Tensor) || !sameShape(g.shape, like[i].shape)) {
      throw new Error(`${op}: ${what} ${i} has shape ${g instanceof Tensor ? fmt(g.shape) : typeof g}, expected ${fmt(like[i].shape)}`);
    }
  });
}

/** Gradients of `y` (against `gy`) with respect to `xs`, zeros for inputs it does not use. */
function vjpOf(y: Tensor, xs: readonly Tensor[], gy: Tensor, createGraph: boolean): Tensor[] {
  if (!y.requiresGrad) return xs.map((x) => zeros([...x.shape], { dtype: x.dtype }));
  return grad(y, xs, { gradOutputs: [gy], createGraph, retainGraph: true, allowUnused: true }).map(
    (g, i) => g ?? zeros([...xs[i].shape], { dtype: xs[i].dtype }),
  );
}

/** The output, and the vector-Jacobian products vᵀ·∂fn/∂input_i (torch.autograd.functional.vjp). */
export function vjp(fn: Fn, primals: readonly Tensor[], cotangents?: readonly Tensor[]): { output: Tensor; grads: Tensor[] } {
  const xs = leaves('vjp', primals);
  const y = call('vjp', fn, xs);
  checkLike('vjp', 'cotangents', cotangents, [y]);
  let v = cotangents?.[0];
  if (v === undefined) {
    if (y.size !== 1)
      throw new Error(`vjp: the output has shape ${fmt(y.shape)}; pass cotangents (they default to ones only for a one-element output)`);
    v = ones([...y.shape], { dtype: y.dtype });
  }
  return { output: y.detach(), grads: vjpOf(y, xs, v, false).map((g) => g.detach()) };
}

/** The output, and the Jacobian-vector product ∂fn·tangents, by forward mode (Note [jvp by double vjp]). */
export function jvp(fn: Fn, primals: readonly Tensor[], tangents: readonly Tensor[]): { output: Tensor; tangent: Tensor } {
  const xs = leaves('jvp', primals);
  if (tangents === undefined) throw new Error('jvp: tangents are required, one per input');
  checkLike('jvp', 'tangents', tangents, xs);
  const y = call('jvp', fn, xs);
  if (!y.requiresGrad) return { output: y.detach(), tangent: zeros([...y.shape], { dtype: y.dtype }) };
  const u = zeros([...y.shape], { dtype: y.dtype, requiresGrad: true });
  const gs = enableGrad(() => vjpOf(y, xs, u, true));
  // Σ_i ⟨vjp_i(u), t_i⟩ is linear in u; its gradient with respect to u is J·t.
  const inner = enableGrad(() => pairing(gs, tangents));
  const [tangent] = inner.requiresGrad ? grad(inner, [u], { allowUnused: true }) : [null];
  return { output: y.detach(), tangent: (tangent ?? zeros([...y.shape], { dtype: y.dtype })).detach() };
}

/** Σ_i sum(a_i · b_i), recorded. */
function pairing(as: readonly Tensor[], bs: readonly Tensor[]): Tensor {
  let total: Tensor | null = null;
  as.forEach((a, i) => {
    const b = bs[i].dtype === a.dtype ? bs[i] : cast(bs[i], a.dtype);
    const term = sum(mul(a, b));
    total = total === null ? term : add(total, term);
  });
  return total!;
}

/** Rows of the Jacobian of `y` with respect to `xs`: one vjp per output element, reassembled as [...out, ...in]. */
function jacobianOf(y: Tensor, xs: readonly Tensor[], createGraph: boolean): Tensor[] {
  const rows: Tensor[][] = xs.map(() => []);
  for (let o = 0; o < y.size; o++) {
    const e = zeros([...y.shape], { dtype: y.dtype });
    e.data[o] = 1;
    vjpOf(y, xs, e, createGraph).forEach((g, i) => rows[i].push(g));
  }
  return xs.map((x, i) => {
    const shape = [...y.shape, ...x.shape];
    if (!createGraph) {
      const data = x.dtype === 'float64' || y.dtype === 'float64' ? new Float64Array(y.size * x.size) : new Float32Array(y.size * x.size);
      rows[i].forEach((g, o) => data.set(g.data, o * x.size));
      return new Tensor(data, shape);
    }
    // Stacked and reshaped with recorded ops, so the Jacobian can be differentiated again.
    if (y.size === 0) return zeros(shape, { dtype: x.dtype });
    const flat = rows[i].map((g) => reshape(g, [1, x.size]));
    return reshape(flat.length === 1 ? flat[0] : concat(flat, 0), shape);
  });
}

/** Entry i: the Jacobian of fn's output with respect to input i, shaped [...output.shape, ...inputs[i].shape]. */
export function jacobian(fn: Fn, inputs: readonly Tensor[], opts: { createGraph?: boolean } = {}): Tensor[] {
  const createGraph = opts.createGraph ?? false;
  // With createGraph the Jacobian stays connected to the caller's inputs, as torch's does.
  const xs = createGraph ? checkInputs('jacobian', inputs) : leaves('jacobian', inputs);
  const y = call('jacobian', fn, xs);
  return enableGrad(() => jacobianOf(y, xs, createGraph));
}

function checkInputs(op: string, inputs: readonly Tensor[]): Tensor[] {
  if (!Array.isArray(inputs) || inputs.length === 0) throw new Error(`${op}: expected a non-empty array of input tensors`);
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new Error(`${op}: input ${i} is not a Tensor`);
    if (!x.requiresGrad) throw new Error(`${op}: with createGraph, input ${i} of shape ${fmt(x.shape)} must require grad`);
  });
  return [...inputs];
}

/** The gradient of a one-element fn, recorded (createGraph) so it can be differentiated again. */
function gradientOf(op: string, fn: Fn, xs: Tensor[]): { y: Tensor; gs: Tensor[] } {
  const y = call(op, fn, xs);
  if (y.size !== 1) throw new Error(`${op}: fn must return a one-element tensor, got shape ${fmt(y.shape)}`);
  return { y, gs: enableGrad(() => vjpOf(y, xs, ones([...y.shape], { dtype: y.dtype }), true)) };
}

/** Entry [i][j]: ∂²fn/∂input_i ∂input_j, shaped [...inputs[i].shape, ...inputs[j].shape]. */
export function hessian(fn: Fn, inputs: readonly Tensor[]): Tensor[][] {
  const xs = leaves('hessian', inputs);
  const { gs } = gradientOf('hessian', fn, xs);
  return gs.map((g) => enableGrad(() => jacobianOf(g, xs, false)));
}

/** The output, and the Hessian-vector products H·v (torch.autograd.functional.hvp). */
export function hvp(fn: Fn, inputs: readonly Tensor[], v: readonly Tensor[]): { output: Tensor; hvp: Tensor[] } {
  const xs = leaves('hvp', inputs);
  if (v === undefined) throw new Error('hvp: v is required, one tensor per input');
  checkLike('hvp', 'v', v, xs);
  const { y, gs } = gradientOf('hvp', fn, xs);
  const inner = enableGrad(() => pairing(gs, v));
  const hv = inner.requiresGrad
    ? vjpOf(inner, xs, ones([], { dtype: inner.dtype }), false)
    : xs.map((x) => zeros([...x.shape], { dtype: x.dtype }));
  return { output: y.detach(), hvp: hv.map((h) => h.detach()) };
}
