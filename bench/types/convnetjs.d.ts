/** @file The few parts of ConvNetJS (untyped on npm) that the benchmarks touch. */
declare module 'convnetjs' {
  export class Vol {
    constructor(sx: number, sy: number, depth: number, c?: number);
    w: Float64Array;
    dw: Float64Array;
  }
  export interface Layer {
    forward(v: Vol, isTraining: boolean): Vol;
    backward(): void;
  }
  export const ConvLayer: new (opt: Record<string, number>) => Layer;
  export const FullyConnLayer: new (opt: Record<string, number>) => Layer;
  export class Net {
    makeLayers(defs: Record<string, unknown>[]): void;
  }
  export class Trainer {
    constructor(net: Net, opts: Record<string, unknown>);
    train(x: Vol, y: number): unknown;
  }
}
