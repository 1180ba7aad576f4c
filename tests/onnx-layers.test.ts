/**
 * The layers of SPEC §15 export to ONNX (SPEC §12) and run in onnxruntime with tapegrad's results:
 * the activations (through the step mask's Greater/Cast and exact gelu's Erf), the normalisations,
 * transposed 1-D convolution, and the resampling layers (through the flat gather's Gather), at batch
 * sizes other than the sample's.
 */
import * as tg from '../src';
import { onnxRunner } from './onnx-harness';

jest.setTimeout(120_000);

const { nn } = tg;
const r = tg.rng('onnx layers');
const randn = (shape: number[]) => tg.randn(shape, { rng: r }).mul(3);

const runOnnx = onnxRunner('onnx-layers');

function check(model: tg.nn.Module, sample: tg.Tensor, runs: tg.Tensor[]): void {
  const bytes = tg.onnx.toOnnx(model, sample);
  model.eval();
  const results = runOnnx(bytes, runs);
  runs.forEach((x, k) => {
    const want = tg.noGrad(() => model.forward(x));
    expect([...results[k].dims]).toEqual(want.shape);
    let scale = 1e-30;
    for (let i = 0; i < want.size; i++) scale = Math.max(scale, Math.abs(want.data[i]));
    for (let i = 0; i < want.size; i++) {
      if (!(Math.abs(results[k].data[i] - want.data[i]) <= 1e-5 * scale)) {
        throw new Error(`element ${i}: onnxruntime ${results[k].data[i]} vs tapegrad ${want.data[i]}`);
      }
    }
  });
}

test('every activation, with its kinks recomputed for new inputs', () => {
  const acts = new nn.Sequential(
    new nn.Linear(6, 6, { rng: r }),
    new nn.LeakyReLU(0.1),
    new nn.ELU(),
    new nn.Hardtanh(-2, 2),
    new nn.GELU(),
    new nn.Softplus({ beta: 2, threshold: 1 }),
    new nn.Hardswish(),
    new nn.PReLU(),
    new nn.Mish(),
    new nn.SELU(),
    new nn.CELU(0.5),
    new nn.SiLU(),
    new nn.GELU({ approximate: 'tanh' }),
    new nn.LogSigmoid(),
    new nn.Hardsigmoid(),
    new nn.ReLU6(),
    new nn.Softsign(),
    new nn.Tanhshrink(),
    new nn.Softshrink(0.1),
    new nn.Hardshrink(0.05),
    new nn.Threshold(-0.5, 0.25),
  );
  check(acts, randn([2, 6]), [randn([5, 6]), randn([1, 6])]);
});

test('LayerNorm, GroupNorm, InstanceNorm (with running statistics in eval mode)', () => {
  const inorm = new nn.InstanceNorm2d(4, { affine: true, trackRunningStats: true });
  inorm.forward(randn([3, 4, 5, 5]));
  check(
    new nn.Sequential(
      new nn.Conv2d(2, 4, 3, { rng: r }),
      new nn.GroupNorm(2, 4),
      new nn.LayerNorm([3, 3]),
      inorm,
      new nn.InstanceNorm2d(4),
    ),
    randn([2, 2, 5, 5]),
    [randn([3, 2, 5, 5])],
  );
});

test('ConvTranspose1d, Upsample, adaptive pooling, PixelShuffle', () => {
  check(
    new nn.Sequential(
      new nn.ConvTranspose1d(2, 3, 3, { stride: 2, outputPadding: 1, rng: r }),
      new nn.Upsample({ scaleFactor: 1.5, mode: 'linear' }),
      new nn.AdaptiveAvgPool1d(4),
    ),
    randn([2, 2, 5]),
    [randn([3, 2, 5])],
  );
  check(
    new nn.Sequential(
      new nn.Upsample({ scaleFactor: 2 }),
      new nn.Upsample({ size: [9, 7], mode: 'bilinear', alignCorners: true }),
      new nn.AdaptiveMaxPool2d([4, 4]),
      new nn.PixelUnshuffle(2),
      new nn.PixelShuffle(2),
      new nn.AdaptiveAvgPool2d([3, null]),
    ),
    randn([2, 2, 3, 3]),
    [randn([4, 2, 3, 3])],
  );
});
