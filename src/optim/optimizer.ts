/**
 * @file The optimiser base: a list of parameters, per-parameter state, step() and zeroGrad().
 * Updates run under noGrad and write in place into p.data, so models, views and saved references
 * see the new values and no graph is recorded.
 *
 * Note [fused updates]: an update is one loop over the parameter's elements rather than a chain of
 * tensor ops (SGD with momentum and weight decay was seven, each allocating a tensor of the
 * parameter's size). The float32 loop rounds every intermediate to float32 (Math.fround), as each op
 * of the chain did when it stored its result, so the updates are bit for bit the ones the ops computed.
 */
import { noGrad } from '../autograd/mode';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

export abstract class Optimizer<S> {
  readonly params: Tensor[];
  /** Per-parameter state (momentum buffers, moments), created on the parameter's first step. */
  protected readonly state = new Map<Tensor, S>();

  constructor(
    params: Iterable<Tensor>,
    readonly name: string,
  ) {
    this.params = [...params];
    if (this.params.length === 0) throw new Error(`${name}: got an empty parameter list`);
    this.params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new Error(`${name}: parameter ${i} is not a Tensor`);
      if (!p.isLeaf) throw new Error(`${name}: parameter ${i} of shape ${fmt(p.shape)} is not a leaf tensor and cannot be optimised`);
    });
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      for (const p of this.params) {
        if (p.grad === null) continue;
        if (p.grad.size !== p.size) {
          throw new Error(`${this.name}: gradient ${fmt(p.grad.shape)} does not match parameter ${fmt(p.shape)}`);
        }
        const next = this.update(p, p.grad);
        if (next) p.data.set(next.data);
      }
    });
  }

  /**
   * The parameter's new value from its value and gradient (updating its state): returned, for step()
   * to write into p.data, or written there by the update itself, which then returns nothing (SGD
   * and Adam do: Note [fused updates]).
   */
  protected abstract update(p: Tensor, g: Tensor): Tensor | void;

  /**
   * The per-parameter state as plain JSON, keyed by the parameter's index in `params` (as PyTorch's
   * optimizer.state_dict): tensors as {shape, data}, numbers as they are. A checkpoint saves it.
   */
  stateDict(): Record<string, Record<string, number | { shape: number[]; data: number[] }>> {
    const out: Record<string, Record<string, number | { shape: number[]; data: number[] }>> = {};
    this.params.forEach((p, i) => {
      const s = this.state.get(p);
      if (s === undefined) return;
      const entry: Record<string, number | { shape: number[]; data: number[] }> = {};
      for (const [k, v] of Object.entries(s as object))
        entry[k] = v instanceof Tensor ? { shape: [...v.shape], data: Array.from(v.data) } : (v as number);
      out[String(i)] = entry;
    });
    return out;
  }

  /** Restores what stateDict() returned (for the same parameters, in the same order). */
  loadStateDict(sd: Record<string, Record<string, number | { shape: number[]; data: number[] }>>): void {
    this.state.clear();
    for (const [key, entry] of Object.entries(sd)) {
      const p = this.params[Number(key)];
      if (p === undefined) throw new Error(`${this.name}.loadStateDict: no parameter ${key} (the optimizer has ${this.params.length})`);
      const s: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v === 'number') s[k] = v;
        else {
          if (v.data.length !== p.size)
            throw new Error(`${this.name}.loadStateDict: ${k} of parameter ${key} has ${v.data.length} values for ${fmt(p.shape)}`);
          const data = p.dtype === 'float64' ? Float64Array.from(v.data) : Float32Array.from(v.data);
          s[k] = new Tensor(data, v.shape);
        }
      }
      this.state.set(p, s as S);
    }
  }

  /** Clears every parameter's gradient (to null, as PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
}

export function checkHyper(op: string, name: string, v: number, ok: (v: number) => boolean, want: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new Error(`${op}: ${name} must be ${want}, got ${v}`);
  return v;
}
