/** @file Installs functional ops as Tensor methods: `add(x, y)` becomes `x.add(y)`. */
// tensor-methods.ts installs every method through here, so loading the methods also installs Tensor#backward
// and Tensor#registerHook (autograd's own methods): what can record a node can backpropagate it.
import '../autograd/grad';
import { Tensor } from '../tensor/tensor';

type Fn = (x: Tensor, ...rest: any[]) => unknown;

export function installMethods(fns: Record<string, Fn>): void {
  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  for (const [name, fn] of Object.entries(fns)) {
    proto[name] = function (this: Tensor, ...rest: unknown[]) {
      return fn(this, ...rest);
    };
  }
}
