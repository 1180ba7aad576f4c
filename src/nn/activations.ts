/**
 * @file Activation modules named as PyTorch names them (SPEC §15), each over its function in
 * src/ops/activations.ts with the function's options as constructor arguments, and PyTorch's
 * `extra_repr` so that models print as in PyTorch. PReLU is the one with a parameter.
 */
import {
  celu,
  elu,
  gelu,
  hardshrink,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  logSigmoid,
  mish,
  prelu,
  relu6,
  selu,
  silu,
  softplus,
  softshrink,
  softsign,
  tanhshrink,
  threshold,
} from '../ops/activations';
import { full } from '../tensor/create';
import { Tensor } from '../tensor/tensor';
import { Module, ModuleOptions, parameter } from './module';
import { pyFloat, pyInt, pyStr } from './repr';

/** An activation without options. */
abstract class Plain extends Module {
  constructor(_opts: ModuleOptions = {}) {
    super();
  }
}

export class LeakyReLU extends Module {
  constructor(
    readonly negativeSlope = 0.01,
    _opts: ModuleOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}`;
  }
}

export class ELU extends Module {
  constructor(
    readonly alpha = 1,
    _opts: ModuleOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}

export class SELU extends Plain {
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}

export class CELU extends Module {
  constructor(
    readonly alpha = 1,
    _opts: ModuleOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return celu(x, this.alpha);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}`;
  }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  /** `new GELU({approximate: 'tanh'})`, or the string alone as PyTorch's `nn.GELU('tanh')`. */
  constructor(opts: ({ approximate?: 'none' | 'tanh' } & ModuleOptions) | 'none' | 'tanh' = {}) {
    super();
    this.approximate = typeof opts === 'string' ? opts : (opts.approximate ?? 'none');
    if (this.approximate !== 'none' && this.approximate !== 'tanh') {
      throw new Error(`GELU: approximate must be 'none' or 'tanh', got '${String(this.approximate)}'`);
    }
  }
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate=${pyStr(this.approximate)}`;
  }
}

export class SiLU extends Plain {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

export class Mish extends Plain {
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}

export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(opts: { beta?: number; threshold?: number } & ModuleOptions = {}) {
    super();
    this.beta = opts.beta ?? 1;
    this.threshold = opts.threshold ?? 20;
  }
  forward(x: Tensor): Tensor {
    return softplus(x, { beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return `beta=${pyInt(this.beta)}, threshold=${pyInt(this.threshold)}`;
  }
}

export class LogSigmoid extends Plain {
  forward(x: Tensor): Tensor {
    return logSigmoid(x);
  }
}

export class Hardtanh extends Module {
  constructor(
    readonly min = -1,
    readonly max = 1,
    _opts: ModuleOptions = {},
  ) {
    super();
    if (!(max >= min)) throw new Error(`Hardtanh: max ${max} must be at least min ${min}`);
  }
  forward(x: Tensor): Tensor {
    return hardtanh(x, this.min, this.max);
  }
  override extraRepr(): string {
    return `min_val=${pyFloat(this.min)}, max_val=${pyFloat(this.max)}`;
  }
}

export class ReLU6 extends Plain {
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}

export class Hardsigmoid extends Plain {
  forward(x: Tensor): Tensor {
    return hardsigmoid(x);
  }
}

export class Hardswish extends Plain {
  forward(x: Tensor): Tensor {
    return hardswish(x);
  }
}

export class Softsign extends Plain {
  forward(x: Tensor): Tensor {
    return softsign(x);
  }
}

export class Tanhshrink extends Plain {
  forward(x: Tensor): Tensor {
    return tanhshrink(x);
  }
}

export interface PReLUOptions extends ModuleOptions {
  numParameters?: number;
  init?: number;
}

/**
 * leakyRelu with learned slopes: `numParameters` (1, or the channels) initialised to `init`.
 * The options object may come in place of either number (`new PReLU(3, {dtype: 'float64'})`,
 * `new PReLU({numParameters: 3})`), so it is never taken for the initial slope.
 */
export class PReLU extends Module {
  readonly weight: Tensor;
  readonly numParameters: number;
  constructor(numParameters: number | PReLUOptions = 1, init: number | PReLUOptions = 0.25, opts: PReLUOptions = {}) {
    super();
    if (typeof numParameters === 'object' && numParameters !== null)
      [opts, numParameters, init] = [numParameters, numParameters.numParameters ?? 1, numParameters.init ?? 0.25];
    else if (typeof init === 'object' && init !== null) [opts, init] = [init, init.init ?? 0.25];
    if (!Number.isInteger(numParameters) || numParameters < 1) {
      throw new Error(`PReLU: numParameters must be a positive integer, got ${String(numParameters)}`);
    }
    if (typeof init !== 'number' || !Number.isFinite(init)) throw new Error(`PReLU: init must be a finite number, got ${String(init)}`);
    this.numParameters = numParameters;
    this.weight = parameter(full([numParameters], init, { dtype: opts.dtype }));
  }
  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }
  override extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}

export class Softshrink extends Module {
  constructor(
    readonly lambd = 0.5,
    _opts: ModuleOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softshrink(x, this.lambd);
  }
  override extraRepr(): string {
    return pyFloat(this.lambd);
  }
}

export class Hardshrink extends Module {
  constructor(
    readonly lambd = 0.5,
    _opts: ModuleOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return hardshrink(x, this.lambd);
  }
  override extraRepr(): string {
    return pyFloat(this.lambd);
  }
}

export class Threshold extends Module {
  constructor(
    readonly threshold: number,
    readonly value: number,
    _opts: ModuleOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return threshold(x, this.threshold, this.value);
  }
  override extraRepr(): string {
    return `threshold=${pyFloat(this.threshold)}, value=${pyFloat(this.value)}`;
  }
}
