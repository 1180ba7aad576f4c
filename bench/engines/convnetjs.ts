/**
 * @file ConvNetJS: one sample at a time (its Vol is a single image), so a batch step loops over the
 * samples; layers are driven directly so forward and backward do the same work as the others.
 */
import * as convnetjs from 'convnetjs';
import type { Engine } from '../engine';
import { Conv2dShape, fillRandom, randomLabels, W1, W2, W3, W4, W6, WorkloadId } from '../workloads';

function vol(sx: number, sy: number, depth: number, seed: number): convnetjs.Vol {
  const v = new convnetjs.Vol(sx, sy, depth, 0);
  fillRandom(v.w, seed);
  return v;
}

/** Forward every sample through `layer`, seed its output gradient, and backpropagate. */
function layerStep(layer: convnetjs.Layer, inputs: convnetjs.Vol[]): () => void {
  return () => {
    for (let i = 0; i < inputs.length; i++) {
      const y = layer.forward(inputs[i], true);
      fillRandom(y.dw, i + 1);
      layer.backward();
    }
  };
}

function conv(s: Conv2dShape): () => void {
  const layer = new convnetjs.ConvLayer({
    in_sx: s.w,
    in_sy: s.h,
    in_depth: s.c,
    sx: s.fw,
    sy: s.fh,
    filters: s.k,
    stride: s.stride,
    pad: s.padding,
  });
  return layerStep(
    layer,
    Array.from({ length: s.n }, (_, i) => vol(s.w, s.h, s.c, i + 1)),
  );
}

function lenet(): () => void {
  const net = new convnetjs.Net();
  net.makeLayers([
    { type: 'input', out_sx: W4.size, out_sy: W4.size, out_depth: 1 },
    { type: 'conv', sx: 5, filters: 6, stride: 1, pad: 2, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 0, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'fc', num_neurons: 120, activation: 'relu' },
    { type: 'fc', num_neurons: 84, activation: 'relu' },
    { type: 'softmax', num_classes: W4.classes },
  ]);
  const trainer = new convnetjs.Trainer(net, { method: 'sgd', learning_rate: W4.lr, momentum: 0, batch_size: W4.batch });
  const images = Array.from({ length: W4.batch }, (_, i) => vol(W4.size, W4.size, 1, i + 1));
  const labels = randomLabels(W4.batch, W4.classes, 7);
  return () => {
    for (let i = 0; i < W4.batch; i++) trainer.train(images[i], labels[i]);
  };
}

export const engine: Engine = {
  label: 'ConvNetJS',
  setup(id: WorkloadId) {
    switch (id) {
      case 'W1':
        return conv(W1);
      case 'W2':
        return conv(W2);
      case 'W3': {
        const layer = new convnetjs.FullyConnLayer({ num_neurons: W3.n, in_sx: 1, in_sy: 1, in_depth: W3.k });
        return layerStep(
          layer,
          Array.from({ length: W3.m }, (_, i) => vol(1, 1, W3.k, i + 1)),
        );
      }
      case 'W4':
        return lenet();
      case 'W6': {
        const layer = new convnetjs.ConvLayer({ in_sx: W6.samples, in_sy: 1, in_depth: 1, sx: W6.taps, sy: 1, filters: 1 });
        return layerStep(layer, [vol(W6.samples, 1, 1, 1)]);
      }
      default:
        return null;
    }
  },
};
