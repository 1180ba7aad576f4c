/**
 * @file Looking inside a trained model for report.html: its first-layer filters and the feature
 * maps they make of a few test images (as greyscale pictures), and its computation graph.
 */
import { noGrad } from '../autograd/mode';
import * as data from '../data';
import type { ImageSet } from '../data';
import { crossEntropy } from '../ops/loss';
import { Tensor } from '../tensor/tensor';
import * as viz from '../viz';
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

/**
 * The graph of one test example through the model and the loss, drawn by tg.viz with one cluster
 * per module. Returns null (and the report says so) rather than failing a finished run.
 */
export async function modelGraphSvg(
  model: Classifier,
  test: ImageSet,
  title: string,
): Promise<{ svg: string | null; error: string | null }> {
  try {
    const one = data.gather(test, [0]);
    model.eval();
    one.images.name = 'x';
    // Parameters are drawn with their state-dict names (block1.conv.weight).
    for (const [name, p] of model.namedParameters()) p.name ??= name;
    const loss = crossEntropy(model.forward(one.images), one.labels);
    loss.name = 'loss';
    return { svg: await viz.toSvg(viz.toDot(loss, { clusters: true, title, rankdir: 'TB' })), error: null };
  } catch (e) {
    return { svg: null, error: (e as Error).message };
  }
}
