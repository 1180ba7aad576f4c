/**
 * @file PyTorch's default initialisation for Linear and Conv layers, drawn from a seeded Rng:
 * weights kaiming_uniform_(a = √5), i.e. U(±gain·√(3/fanIn)) with gain = √(2/(1+a²)), which
 * comes to U(±1/√fanIn); biases U(±1/√fanIn) (0 when fanIn is 0).
 */
import { defaultRng, Rng } from '../random/rng';
import { allocate, DType } from '../tensor/dtype';
import { sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { parameter } from './module';

export interface InitOptions {
  rng?: Rng;
  dtype?: DType;
}

/** A parameter of `shape` with values drawn uniformly from [-bound, bound), row-major. */
export function uniformParameter(shape: readonly number[], bound: number, opts: InitOptions = {}): Tensor {
  const g = opts.rng ?? defaultRng();
  const data = allocate(opts.dtype ?? 'float32', sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = g.uniform(-bound, bound);
  return parameter(new Tensor(data, [...shape]));
}

/** The kaiming_uniform_ bound for leaky-relu slope a, as torch.nn.init computes it. */
export function kaimingUniformBound(fanIn: number, a = Math.sqrt(5)): number {
  if (fanIn === 0) return 0;
  const gain = Math.sqrt(2 / (1 + a * a));
  return gain * Math.sqrt(3 / fanIn);
}

/** The bias bound PyTorch's Linear and Conv layers use. */
export function biasBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}
