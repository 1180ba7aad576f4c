/**
 * tg.viz.makeGrid and the deterministic tg.data.transforms against torchvision (Debian's
 * python3-torchvision, which .ci/run installs beside python3-torch): the same grids, crops, resizes,
 * normalisations and conversions, value for value in float64. The random transforms are checked
 * at their certain settings (a flip with p = 1). Fails, never skips, without torchvision
 * (Note [torch parity never skips] in tests/torch-harness.ts).
 */
import * as tg from '../src';
import { encodeTensor, runTorch, TensorJson } from './torch-harness';

const T = tg.data.transforms;
const r = tg.rng('torchvision-parity');
const images = tg.rand([5, 1, 6, 7], { rng: r, dtype: 'float64' }).mul(3).sub(1);
const rgb = tg.rand([3, 9, 8], { rng: r, dtype: 'float64' });
const pixels = Array.from({ length: 4 * 5 * 3 }, () => Math.floor(r.next() * 256));

interface GridCase {
  nrow?: number;
  padding?: number;
  normalize?: boolean;
  valueRange?: [number, number];
  scaleEach?: boolean;
  padValue?: number;
}
const GRIDS: GridCase[] = [
  {},
  { nrow: 3, padding: 0 },
  { nrow: 2, padding: 1, normalize: true },
  { normalize: true, valueRange: [-1, 2] },
  { normalize: true, scaleEach: true, padValue: 0.5 },
];

const SCRIPT = `
import torchvision
from torchvision.utils import make_grid
import torchvision.transforms.functional as F
from torchvision import transforms as T
images = tensor_from(job['images'])
rgb = tensor_from(job['rgb'])
grids = []
for g in job['grids']:
    kw = {'nrow': g.get('nrow', 8), 'padding': g.get('padding', 2), 'normalize': g.get('normalize', False),
          'scale_each': g.get('scaleEach', False), 'pad_value': g.get('padValue', 0)}
    if 'valueRange' in g:
        kw['value_range'] = tuple(g['valueRange'])
    grids.append(make_grid(images.clone(), **kw))
import numpy as np
hwc = np.array(job['pixels'], dtype=np.uint8).reshape(4, 5, 3)
emit({
  'version': torchvision.__version__,
  'grids': grids,
  'normalize': T.Normalize([0.2, 0.5, 0.7], [0.3, 0.25, 2.0])(rgb),
  'centerCrops': [F.center_crop(rgb, [5, 4]), F.center_crop(rgb, [12, 11]), F.center_crop(rgb, [4, 3])],
  'resizes': [F.resize(rgb, [5, 13], antialias=False), F.resize(rgb, 4, antialias=False), F.resize(rgb, [18, 3], antialias=False)],
  'flip': F.hflip(rgb),
  'toTensor': T.ToTensor()(hwc).double(),
})
`;

let torch: {
  version: string;
  grids: TensorJson[];
  normalize: TensorJson;
  centerCrops: TensorJson[];
  resizes: TensorJson[];
  flip: TensorJson;
  toTensor: TensorJson;
};
beforeAll(() => {
  torch = runTorch(SCRIPT, { images: encodeTensor(images), rgb: encodeTensor(rgb), grids: GRIDS, pixels });
});

function expectClose(got: tg.Tensor, want: TensorJson, tol = 1e-12): void {
  expect(got.shape).toEqual(want.shape);
  const w = want.data as number[];
  for (let i = 0; i < w.length; i++)
    if (!(Math.abs(got.data[i] - w[i]) <= tol * (1 + Math.abs(w[i]))))
      throw new Error(`element ${i}: tapegrad ${got.data[i]}, torchvision ${w[i]}`);
}

test.each(GRIDS.map((g, i) => [JSON.stringify(g), i] as const))('makeGrid %s equals make_grid', (_name, i) => {
  expectClose(tg.viz.makeGrid(images, GRIDS[i]), torch.grids[i]);
});

test('normalize, centerCrop (smaller and larger than the image), resize (bilinear, antialias off) and a certain flip equal torchvision', () => {
  expectClose(T.normalize([0.2, 0.5, 0.7], [0.3, 0.25, 2.0])(rgb), torch.normalize);
  expectClose(T.centerCrop([5, 4])(rgb), torch.centerCrops[0]);
  expectClose(T.centerCrop([12, 11])(rgb), torch.centerCrops[1]);
  expectClose(T.centerCrop([4, 3])(rgb), torch.centerCrops[2]);
  expectClose(T.resize([5, 13])(rgb), torch.resizes[0]);
  expectClose(T.resize(4)(rgb), torch.resizes[1]);
  expectClose(T.resize([18, 3])(rgb), torch.resizes[2]);
  expectClose(T.randomHorizontalFlip(1, { rng: r })(rgb), torch.flip);
});

test('toTensor of HWC bytes equals ToTensor', () => {
  const got = T.toTensor({ data: pixels, width: 5, height: 4, channels: 3 });
  // ToTensor divides in float32: compare at float32's precision.
  expectClose(got, torch.toTensor, 1e-7);
});
