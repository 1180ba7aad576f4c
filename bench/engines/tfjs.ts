/**
 * @file TensorFlow.js (tfjs-core) on its CPU and WASM backends. Layouts are TF's (NHWC, filters
 * [fh,fw,in,out]); gradients come from tf.grads with the same random upstream gradient shapes as the
 * others, and every step reads its results back (dataSync) so lazy work is counted.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import './tfjs-gradients';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Engine } from '../engine';
import {
  CHAIN_ADD,
  CHAIN_MUL,
  CHAIN_OPS,
  Conv2dShape,
  convOut,
  randomArray,
  randomLabels,
  W1,
  W2,
  W3,
  W4,
  W5,
  W6,
  WorkloadId,
} from '../workloads';

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
}

/** Gradients of f at xs for upstream gradient gy, all read back. */
function gradStep(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], gy: tf.Tensor): () => void {
  const g = tf.grads(f);
  return () =>
    tf.tidy(() => {
      for (const t of g(xs, gy)) t.dataSync();
    });
}

function conv(s: Conv2dShape): () => void {
  const ho = convOut(s.h, s.fh, s.stride, s.padding);
  const wo = convOut(s.w, s.fw, s.stride, s.padding);
  const x = rand([s.n, s.h, s.w, s.c], 1);
  const w = rand([s.fh, s.fw, s.c, s.k], 2);
  const gy = rand([s.n, ho, wo, s.k], 3);
  const xs = s.bias ? [x, w, rand([s.k], 4)] : [x, w];
  return gradStep(
    (xi, wi, bi) => {
      const y = tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, s.stride, s.padding);
      return bi ? tf.add(y, bi) : y;
    },
    xs,
    gy,
  );
}

function lenet(): () => void {
  const v = (shape: number[], seed: number) => tf.variable(tf.mul(rand(shape, seed), 0.1));
  const params = {
    w1: v([5, 5, 1, 6], 1),
    b1: v([6], 2),
    w2: v([5, 5, 6, 16], 3),
    b2: v([16], 4),
    w3: v([400, 120], 5),
    b3: v([120], 6),
    w4: v([120, 84], 7),
    b4: v([84], 8),
    w5: v([84, 10], 9),
    b5: v([10], 10),
  };
  const x = rand([W4.batch, W4.size, W4.size, 1], 11) as tf.Tensor4D;
  const onehot = tf.oneHot(tf.tensor1d(randomLabels(W4.batch, W4.classes, 7), 'int32'), W4.classes);
  const opt = tf.train.sgd(W4.lr);
  const p = params;
  const loss = () => {
    let h = tf.relu(tf.add(tf.conv2d(x, p.w1 as tf.Tensor4D, 1, 2), p.b1)) as tf.Tensor4D;
    h = tf.maxPool(h, 2, 2, 'valid');
    h = tf.relu(tf.add(tf.conv2d(h, p.w2 as tf.Tensor4D, 1, 'valid'), p.b2)) as tf.Tensor4D;
    h = tf.maxPool(h, 2, 2, 'valid');
    let f = tf.reshape(h, [W4.batch, 400]) as tf.Tensor2D;
    f = tf.relu(tf.add(tf.matMul(f, p.w3 as tf.Tensor2D), p.b3)) as tf.Tensor2D;
    f = tf.relu(tf.add(tf.matMul(f, p.w4 as tf.Tensor2D), p.b4)) as tf.Tensor2D;
    f = tf.add(tf.matMul(f, p.w5 as tf.Tensor2D), p.b5) as tf.Tensor2D;
    return tf.losses.softmaxCrossEntropy(onehot, f) as tf.Scalar;
  };
  return () => {
    tf.tidy(() => {
      opt.minimize(loss, false, Object.values(params));
    });
    params.w1.dataSync();
  };
}

function chain(): () => void {
  const x = tf.tensor1d([0.5]);
  const cAdd = tf.tensor1d([CHAIN_ADD]);
  const cMul = tf.tensor1d([CHAIN_MUL]);
  const g = tf.grad((x0: tf.Tensor) => {
    let y = x0;
    for (let i = 0; i < W5.length; i++) {
      const op = CHAIN_OPS[i % 3];
      y = op === 'add' ? tf.add(y, cAdd) : op === 'mul' ? tf.mul(y, cMul) : tf.tanh(y);
    }
    return y;
  });
  return () =>
    tf.tidy(() => {
      g(x).dataSync();
    });
}

function setup(id: WorkloadId): (() => void) | null {
  switch (id) {
    case 'W1':
      return conv(W1);
    case 'W2':
      return conv(W2);
    case 'W3':
      return gradStep((a, b) => tf.matMul(a, b), [rand([W3.m, W3.k], 1), rand([W3.k, W3.n], 2)], rand([W3.m, W3.n], 3));
    case 'W4':
      return lenet();
    case 'W5':
      return chain();
    case 'W6': {
      const out = W6.samples - W6.taps + 1;
      return gradStep(
        (x, w) => tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, 1, 'valid'),
        [rand([1, W6.samples, 1], 1), rand([W6.taps, 1, 1], 2)],
        rand([1, out, 1], 3),
      );
    }
    // W7 and E1 are the CLI's recipe: no tfjs mirror of it here.
    default:
      return null;
  }
}

function engineOn(backend: 'cpu' | 'wasm', label: string): Engine {
  return {
    label,
    async init() {
      if (backend === 'wasm') setWasmPaths(path.join(require.resolve('@tensorflow/tfjs-backend-wasm'), '..') + path.sep);
      if (!(await tf.setBackend(backend))) throw new Error(`tfjs: backend ${backend} did not initialise`);
      await tf.ready();
    },
    setup,
    describe: () => `tfjs-core ${tf.version_core}, backend ${tf.getBackend()}`,
  };
}

export const cpu = engineOn('cpu', 'TF.js CPU');
export const wasm = engineOn('wasm', 'TF.js WASM');
