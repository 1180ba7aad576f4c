/**
 * @file Looking inside a trained model for report.html: its first-layer filters and the feature
 * maps they make of a few test images (as greyscale pictures).
 */
import { noGrad } from '../autograd/mode';
import * as data from '../data';
import type { ImageSet } from '../data';
import { Tensor } from '../tensor/tensor';
import type { Classifier } from './models';
import type { GreyImage } from './png';
import type { ImageRow } from './report';

/** The planes of x [N,C,H,W] (or one image [C,H,W]) as pictures, image by image, channel by channel. */
function planes(x: Tensor): GreyImage[][] {
  const [n, c, h, w] = x.ndim === 3 ? [1, ...x.shape] : x.shape;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: c }, (_, ch) => {
      const start = (i * c + ch) * h * w;
      return { width: w, height: h, values: x.data.subarray(start, start + h * w) };
    }),
  );
}

/** One picture per (output channel, input channel) of the first conv layer's weight. */
export function firstLayerFilters(model: Classifier): GreyImage[] | null {
  return model.firstConv ? planes(model.firstConv.weight).flat() : null;
}

/** The first `count` test images and their first-layer feature maps, computed in eval mode. */
export function featureMapRows(model: Classifier, test: ImageSet, classNames: string[], count: number): ImageRow[] | null {
  if (!model.firstConv) return null;
  const batch = data.gather(
    test,
    Int32Array.from({ length: Math.min(count, test.labels.length) }, (_, i) => i),
  );
  model.eval();
  const maps = noGrad(() => model.featureMaps(batch.images));
  if (maps === null) return null;
  const inputs = planes(batch.images);
  return planes(maps).map((m, i) => ({ label: `test image ${i} (${classNames[batch.labels[i]]})`, input: inputs[i][0], maps: m }));
}
