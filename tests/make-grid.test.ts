/**
 * tg.viz.makeGrid and tg.viz.saveImage, as torchvision.utils.make_grid / save_image: tile layout,
 * padding, single-channel images made RGB, normalisation; the PNG read back by PIL (Python).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../src';
import { runTorch } from './torch-harness';

/** n single-channel 2×2 images; image k is filled with k + 1. */
const tiles = (n: number) =>
  tg.tensor(
    Array.from({ length: n * 4 }, (_, i) => Math.floor(i / 4) + 1),
    { shape: [n, 1, 2, 2] },
  );

test('tiles laid out row by row, nrow per row, padding around and between, single channels made RGB', () => {
  const grid = tg.viz.makeGrid(tiles(3), { nrow: 2, padding: 1, padValue: 9 });
  expect(grid.shape).toEqual([3, 7, 7]);
  const r = [9, 9, 9, 9, 9, 9, 9];
  const channel = [r, [9, 1, 1, 9, 2, 2, 9], [9, 1, 1, 9, 2, 2, 9], r, [9, 3, 3, 9, 9, 9, 9], [9, 3, 3, 9, 9, 9, 9], r];
  expect(grid.toArray()).toEqual([channel, channel, channel]);
  // Defaults: nrow 8, padding 2, pad value 0.
  expect(tg.viz.makeGrid(tiles(10)).shape).toEqual([3, 2 * 4 + 2, 8 * 4 + 2]);
});

test('one image is returned alone, without padding; [H,W] and [C,H,W] are one image', () => {
  expect(tg.viz.makeGrid(tiles(1)).shape).toEqual([3, 2, 2]);
  expect(tg.viz.makeGrid(tg.ones([4, 5])).shape).toEqual([3, 4, 5]);
  expect(tg.viz.makeGrid(tg.ones([4, 2, 3])).shape).toEqual([4, 2, 3]);
});

test('normalize maps the min..max (or valueRange, clamped) to [0, 1], over the batch or each image', () => {
  const x = tg.tensor([[[[0, 2]]], [[[4, 8]]]]);
  const all = tg.viz.makeGrid(x, { normalize: true, padding: 0 });
  expect(Array.from(all.data.slice(0, 4))).toEqual([0, 0.25, 0.5, 1]);
  const each = tg.viz.makeGrid(x, { normalize: true, scaleEach: true, padding: 0 });
  expect(Array.from(each.data.slice(0, 4))).toEqual([0, 1, 0, 1]);
  const ranged = tg.viz.makeGrid(x, { normalize: true, valueRange: [2, 4], padding: 0 });
  expect(Array.from(ranged.data.slice(0, 4))).toEqual([0, 0, 1, 1]);
  expect(Array.from(x.data)).toEqual([0, 2, 4, 8]);
});

test('bad arguments throw', () => {
  expect(() => tg.viz.makeGrid(tg.ones([5]))).toThrow('makeGrid: expected images [N,C,H,W], [C,H,W] or [H,W], got [5]');
  expect(() => tg.viz.makeGrid(tiles(2), { nrow: 0 })).toThrow('makeGrid: nrow must be an integer >= 1, got 0');
  expect(() => tg.viz.saveImage(tiles(2), 'x.jpg')).toThrow('saveImage: path must name a .png file, got "x.jpg"');
  expect(() => tg.viz.saveImage(tg.ones([1, 2, 3, 3]), path.join(os.tmpdir(), 'two.png'))).toThrow(
    'saveImage: cannot write 2 channels as a PNG',
  );
});

test('saveImage writes the grid as a PNG (×255, +0.5, clamped), atomically; PIL reads the same pixels', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-grid-'));
  try {
    const file = path.join(dir, 'out', 'grid.png');
    // Two RGB 1×2 images: values chosen to round (0.5/255 up), clamp (−1, 2) and scale.
    const x = tg.tensor([
      [[[0, 1]], [[0.2, -1]], [[2, 0.5]]],
      [[[1, 0]], [[0.5, 0.5]], [[0, 0]]],
    ]);
    tg.viz.saveImage(x, file, { padding: 1, padValue: 1 });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['grid.png']);
    const pil = runTorch<{ mode: string; size: number[]; pixels: number[][] }>(
      `
from PIL import Image
im = Image.open(job['file'])
emit({'mode': im.mode, 'size': list(im.size), 'pixels': [list(p) for p in im.getdata()]})
`,
      { file },
    );
    expect(pil.mode).toBe('RGB');
    expect(pil.size).toEqual([2 * 3 + 1, 1 + 2]);
    const W = [255, 255, 255];
    // Row 1 (the images' one row): pad, image 0's two pixels, pad, image 1's two pixels, pad.
    expect(pil.pixels.slice(7, 14)).toEqual([W, [0, 51, 255], [255, 0, 128], W, [255, 128, 0], [0, 128, 0], W]);
    expect(pil.pixels.slice(0, 7)).toEqual(new Array(7).fill(W));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
