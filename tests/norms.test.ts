/**
 * Layer, group and instance normalisation (SPEC §15): PyTorch parity of the modules (outputs,
 * gradients, running statistics), hand values, printing, float32 at size, and errors.
 */
import * as tg from '../src';
import { checkParity, ParityCase } from './module-parity';
import { runTorch } from './torch-harness';

const { nn } = tg;
const r = tg.rng('norms');
const randn = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64' }).mul(2).add(0.5);
/** A float64 module with its affine parameters randomised (so their gradients matter). */
const randomised = <M extends tg.nn.AnyModule>(m: M): M => {
  for (const p of m.parameters()) p.data.set(tg.randn([...p.shape], { rng: r, dtype: 'float64' }).data);
  return m;
};

test('the modules equal PyTorch: outputs, input and parameter gradients, running statistics (float64)', () => {
  const cases: ParityCase[] = [
    {
      name: 'LayerNorm 1 axis',
      module: () => randomised(new nn.LayerNorm(6, { dtype: 'float64' })),
      torch: 'nn.LayerNorm(6)',
      inputs: () => [randn([3, 4, 6])],
    },
    {
      name: 'LayerNorm 2 axes eps 1e-3',
      module: () => randomised(new nn.LayerNorm([3, 4], { eps: 1e-3, dtype: 'float64' })),
      torch: 'nn.LayerNorm([3, 4], eps=1e-3)',
      inputs: () => [randn([2, 3, 4])],
    },
    {
      name: 'LayerNorm without affine',
      module: () => new nn.LayerNorm(5, { elementwiseAffine: false, dtype: 'float64' }),
      torch: 'nn.LayerNorm(5, elementwise_affine=False)',
      inputs: () => [randn([4, 5])],
    },
    {
      name: 'GroupNorm',
      module: () => randomised(new nn.GroupNorm(2, 6, { dtype: 'float64' })),
      torch: 'nn.GroupNorm(2, 6)',
      inputs: () => [randn([3, 6, 2, 3])],
    },
    {
      name: 'GroupNorm one group per channel, no affine, [N,C,L]',
      module: () => new nn.GroupNorm(4, 4, { affine: false, eps: 1e-2, dtype: 'float64' }),
      torch: 'nn.GroupNorm(4, 4, affine=False, eps=1e-2)',
      inputs: () => [randn([2, 4, 5])],
    },
    {
      name: 'InstanceNorm1d',
      module: () => new nn.InstanceNorm1d(3, { dtype: 'float64' }),
      torch: 'nn.InstanceNorm1d(3)',
      inputs: () => [randn([2, 3, 5])],
    },
    {
      name: 'InstanceNorm2d affine, tracking running stats (training)',
      module: () => randomised(new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true, momentum: 0.3, dtype: 'float64' })),
      torch: 'nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3)',
      inputs: () => [randn([2, 3, 3, 4])],
    },
    {
      name: 'InstanceNorm2d tracking running stats (eval: uses them)',
      module: () => {
        const m = randomised(new nn.InstanceNorm2d(2, { affine: true, trackRunningStats: true, dtype: 'float64' }));
        m.runningMean!.data.set([0.5, -1]);
        m.runningVar!.data.set([2, 0.25]);
        return m;
      },
      torch: 'nn.InstanceNorm2d(2, affine=True, track_running_stats=True)',
      inputs: () => [randn([2, 2, 3, 3])],
      eval: true,
    },
    {
      name: 'InstanceNorm1d unbatched [C,L]',
      module: () => new nn.InstanceNorm1d(3, { trackRunningStats: true, dtype: 'float64' }),
      torch: 'nn.InstanceNorm1d(3, track_running_stats=True)',
      inputs: () => [randn([3, 6])],
    },
  ];
  checkParity(cases);
});

test('hand values: each row (layer), group or channel of each sample has mean 0 and biased variance 1', () => {
  const x = tg.tensor(
    [
      [1, 2, 3, 4],
      [2, 2, 2, 6],
    ],
    { dtype: 'float64' },
  );
  // Row 0: mean 2.5, biased variance 1.25; row 1: mean 3, biased variance 3.
  const expected = [...[-1.5, -0.5, 0.5, 1.5].map((v) => v / Math.sqrt(1.25)), ...[-1, -1, -1, 3].map((v) => v / Math.sqrt(3))];
  Array.from(tg.layerNorm(x, [4], { eps: 0 }).data).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 14));
  const y = tg.groupNorm(tg.reshape(x, [1, 4, 2]), 2, { eps: 0 });
  expect(y.shape).toEqual([1, 4, 2]);
  expect(Array.from(y.data).slice(0, 4)).toEqual(
    Array.from(tg.layerNorm(tg.tensor([1, 2, 3, 4], { dtype: 'float64' }), 4, { eps: 0 }).data),
  );
  const inst = tg.instanceNorm(
    tg.tensor([
      [
        [1, 3],
        [0, 4],
      ],
    ]),
    { eps: 0 },
  );
  expect(inst.toArray()).toEqual([
    [
      [-1, 1],
      [-1, 1],
    ],
  ]);
});

test('running statistics: mean of per-instance means and of unbiased variances (Note [instance norm running statistics])', () => {
  const runningMean = tg.zeros([1]);
  const runningVar = tg.ones([1]);
  // Instances [1, 3] (mean 2, unbiased variance 2) and [0, 4] (mean 2, unbiased variance 8).
  tg.instanceNorm(tg.tensor([[[1, 3]], [[0, 4]]]), { runningMean, runningVar, momentum: 0.5 });
  expect(Array.from(runningMean.data)).toEqual([1]);
  expect(Array.from(runningVar.data)).toEqual([0.5 + 0.5 * 5]);
});

test('the modules print as PyTorch prints them', () => {
  const ours = [
    new nn.LayerNorm([3, 4]),
    new nn.LayerNorm(10, { eps: 1e-6, elementwiseAffine: false }),
    new nn.GroupNorm(2, 4),
    new nn.GroupNorm(1, 3, { affine: false, eps: 1e-3 }),
    new nn.InstanceNorm1d(3),
    new nn.InstanceNorm2d(8, { affine: true, trackRunningStats: true, momentum: 0.2 }),
  ].map(String);
  const torch = runTorch<string[]>(`import torch.nn as nn
emit([repr(m) for m in [nn.LayerNorm([3, 4]), nn.LayerNorm(10, eps=1e-6, elementwise_affine=False), nn.GroupNorm(2, 4),
  nn.GroupNorm(1, 3, affine=False, eps=1e-3), nn.InstanceNorm1d(3), nn.InstanceNorm2d(8, affine=True, track_running_stats=True, momentum=0.2)]])`);
  expect(ours).toEqual(torch);
});

test('parameters, buffers and dtypes', () => {
  expect(new nn.LayerNorm([2, 3], { bias: false }).namedParameters().map(([k, p]) => `${k} ${tg.fmt(p.shape)}`)).toEqual(['weight [2,3]']);
  expect(new nn.GroupNorm(2, 4, { dtype: 'float64' }).weight!.dtype).toBe('float64');
  const inst = new nn.InstanceNorm2d(3, { trackRunningStats: true });
  expect(inst.parameters()).toEqual([]);
  expect(inst.namedBuffers().map(([k]) => k)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
});

test('float32 at size agrees with float64', () => {
  const x64 = tg
    .randn([64, 32, 16, 16], { rng: tg.rng('norm f32'), dtype: 'float64' })
    .mul(3)
    .add(1);
  const x32 = x64.cast('float32');
  const same = tg.tensor(Float64Array.from(x32.data), { shape: x32.shape });
  for (const f of [
    (x: tg.Tensor) => tg.layerNorm(x, [16, 16]),
    (x: tg.Tensor) => tg.groupNorm(x, 8),
    (x: tg.Tensor) => tg.instanceNorm(x),
  ]) {
    const a = f(x32);
    const b = f(same);
    expect(a.dtype).toBe('float32');
    let worst = 0;
    for (let i = 0; i < a.size; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
    expect(worst).toBeLessThan(1e-4);
  }
});

test('errors name the layer and the shapes', () => {
  expect(() => new nn.LayerNorm(4).forward(tg.zeros([2, 5]))).toThrow('LayerNorm: input [2,5] does not end with normalizedShape [4]');
  expect(() => tg.layerNorm(tg.zeros([2, 5]), [4])).toThrow('layerNorm: input [2,5] does not end with normalizedShape [4]');
  expect(() => tg.layerNorm(tg.zeros([2, 4]), [4], { weight: tg.ones([3]) })).toThrow(
    'layerNorm: weight [3] does not match normalizedShape [4] (input [2,4])',
  );
  expect(() => tg.groupNorm(tg.zeros([2, 6, 3]), 4)).toThrow(
    'groupNorm: numGroups 4 must be a positive integer dividing the 6 channels (input [2,6,3])',
  );
  expect(() => new nn.GroupNorm(4, 6)).toThrow('GroupNorm: numChannels 6 must be divisible by numGroups 4');
  expect(() => new nn.GroupNorm(2, 6).forward(tg.zeros([2, 4, 3]))).toThrow('GroupNorm: expected input [N,6,...], got [2,4,3]');
  expect(() => tg.instanceNorm(tg.zeros([2, 3]))).toThrow('instanceNorm: expected input [N,C,L] or [N,C,H,W]');
  expect(() => tg.instanceNorm(tg.zeros([2, 3, 1]))).toThrow('instanceNorm: expected more than 1 position per channel, got input [2,3,1]');
  expect(() => new nn.InstanceNorm2d(3).forward(tg.zeros([2, 3, 4]))).toThrow(
    'InstanceNorm2d: expected input [N,C,H,W] or [C,H,W] with C = 3, got [2,3,4]',
  );
  expect(() => tg.instanceNorm(tg.zeros([2, 3, 4]), { useInputStats: false })).toThrow(
    'instanceNorm: useInputStats false needs runningMean and runningVar (input [2,3,4])',
  );
});
