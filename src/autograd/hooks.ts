/**
 * @file Tensor hooks (SPEC §11 `tensor.registerHook`, torch.Tensor.register_hook): functions that see
 * — and may replace — the gradient with respect to a tensor when backward or grad computes it.
 * They run in registration order, each on what the previous one returned, on the tensor's whole
 * gradient (all paths summed) before it is stored in `.grad` or passed on to the tensor's own node.
 */
import { fmt, sameShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

export type GradHook = (grad: Tensor) => Tensor | void | undefined;

export interface HookHandle {
  remove(): void;
}

const hooks = new WeakMap<Tensor, GradHook[]>();

export function registerHook(t: Tensor, hook: GradHook): HookHandle {
  if (typeof hook !== 'function') throw new Error(`registerHook: expected a function, got ${typeof hook}`);
  if (!t.requiresGrad)
    throw new Error(`registerHook: the tensor of shape ${fmt(t.shape)} does not require grad, so no gradient will reach a hook`);
  let list = hooks.get(t);
  if (list === undefined) hooks.set(t, (list = []));
  list.push(hook);
  return {
    remove() {
      const at = list!.indexOf(hook);
      if (at >= 0) list!.splice(at, 1);
    },
  };
}

/** Whether t has hooks: the engine asks first, so tensors without hooks (nearly all) cost one lookup. */
export function hasHooks(t: Tensor): boolean {
  const list = hooks.get(t);
  return list !== undefined && list.length > 0;
}

/** The gradient after t's hooks (g itself when there are none). */
export function runHooks(t: Tensor, g: Tensor): Tensor {
  const list = hooks.get(t);
  if (list === undefined || list.length === 0) return g;
  for (const hook of [...list]) {
    const r = hook(g);
    if (r === undefined) continue;
    if (!(r instanceof Tensor) || !sameShape(r.shape, t.shape)) {
      throw new Error(
        `registerHook: a hook on a tensor of shape ${fmt(t.shape)} returned ${r instanceof Tensor ? `a gradient of shape ${fmt(r.shape)}` : String(r)}; ` +
          'it must return nothing or a tensor of the same shape',
      );
    }
    g = r.dtype === t.dtype ? r : new Tensor(t.dtype === 'float64' ? Float64Array.from(r.data) : Float32Array.from(r.data), r.shape);
  }
  return g;
}

declare module '../tensor/tensor' {
  interface Tensor {
    /** Runs `hook` on the gradient with respect to this tensor; a returned tensor replaces it (SPEC §11). */
    registerHook(hook: GradHook): HookHandle;
  }
}

Tensor.prototype.registerHook = function (this: Tensor, hook: GradHook): HookHandle {
  return registerHook(this, hook);
};
