/**
 * @file Primitives: the few ops that carry a backward rule. Each is defined once, forward and
 * backward side by side, and registered by name; everything else in tapegrad is a composition of
 * them. The registry is what gradcheck tables, the CLI and graph labels enumerate.
 */
import { isFloating } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';
import { checkForward, creationStack, isAnomalyEnabled } from './anomaly';
import { isGradEnabled } from './mode';
import { Node } from './node';
import { currentScope } from './scope';

/** A forward that needs to hand extra values to its backward returns them beside the output. */
export interface WithSaved<S> {
  y: Tensor;
  saved: S;
}

export interface Rule<A, S = undefined> {
  /** The output's value from the inputs' values. Never records: it runs on raw data (kernels). */
  forward(xs: readonly Tensor[], attrs: A): Tensor | WithSaved<S>;
  /**
   * The inputs' gradients from the output's gradient `gy`, written with differentiable ops so that
   * a backward recorded under createGraph can itself be differentiated. `null`: no gradient.
   */
  backward(gy: Tensor, xs: readonly Tensor[], y: Tensor, attrs: A, saved: S): (Tensor | null)[];
  /** The attributes in words for graph labels, e.g. `stride=2 pad=1`. */
  describe?(attrs: A): string;
}

export class Primitive<A = undefined, S = undefined> {
  constructor(
    readonly name: string,
    readonly rule: Rule<A, S>,
  ) {}

  /** Runs the forward and, when recording and some input requires grad, records a node. */
  apply(xs: readonly Tensor[], attrs: A): Tensor {
    return this.record(xs, attrs, this.rule.forward(xs, attrs));
  }

  /** apply, also returning what the forward saved for the backward (recorded or not). */
  applyWithSaved(xs: readonly Tensor[], attrs: A): { y: Tensor; saved: S | undefined } {
    const out = this.rule.forward(xs, attrs);
    return { y: this.record(xs, attrs, out), saved: out instanceof Tensor ? undefined : out.saved };
  }

  private record(xs: readonly Tensor[], attrs: A, out: Tensor | WithSaved<S>): Tensor {
    const y = out instanceof Tensor ? out : out.y;
    const anomaly = isAnomalyEnabled();
    const stack = anomaly ? creationStack() : undefined;
    if (stack !== undefined) checkForward(this.name, xs, y, stack);
    // An int32 or bool result (a comparison, an argmax) is not differentiable: no node (Note [dtypes]).
    if (isGradEnabled() && anyRequiresGrad(xs) && isFloating(y.dtype)) {
      y.requiresGrad = true;
      y.node = new Node(this, xs, attrs, out instanceof Tensor ? undefined : out.saved, currentScope());
      if (stack !== undefined) y.node.creation = stack;
    }
    return y;
  }
}

function anyRequiresGrad(xs: readonly Tensor[]): boolean {
  for (let i = 0; i < xs.length; i++) if (xs[i].requiresGrad) return true;
  return false;
}

const registry = new Map<string, Primitive<any, any>>();

/** Defines and registers a primitive; a second definition under the same name throws. */
export function definePrimitive<A = undefined, S = undefined>(name: string, rule: Rule<A, S>): Primitive<A, S> {
  if (registry.has(name)) throw new Error(`definePrimitive: a primitive named '${name}' is already defined`);
  const p = new Primitive<A, S>(name, rule);
  registry.set(name, p);
  return p;
}

/** Every registered primitive, by name. */
export function primitives(): Primitive<any, any>[] {
  return [...registry.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function lookupPrimitive(name: string): Primitive<any, any> {
  const p = registry.get(name);
  if (p === undefined) throw new Error(`lookupPrimitive: no primitive named '${name}' (import tapegrad from its package root)`);
  return p;
}
