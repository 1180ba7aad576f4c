/**
 * tg.data.loadCifar10 and tg.data.imageFolder on small files generated here: layout, labels, class
 * order, the DataLoader over them, and malformed files refused before anything large is allocated.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as tg from '../src';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-images-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A CIFAR record: the label, then 3072 pixel bytes (red plane, green, blue); pixel value = (label·7 + i) mod 256. */
const record = (label: number) => Uint8Array.from([label, ...Array.from({ length: 3072 }, (_, i) => (label * 7 + i) % 256)]);

describe('loadCifar10', () => {
  test('train from data_batch_1..5, test from test_batch; [N,3,32,32] in [0,1], labels, class names', () => {
    const cifar = path.join(dir, 'cifar');
    fs.mkdirSync(cifar);
    for (let b = 1; b <= 5; b++) fs.writeFileSync(path.join(cifar, `data_batch_${b}.bin`), Buffer.concat([record(b), record(9 - b)]));
    fs.writeFileSync(path.join(cifar, 'test_batch.bin'), record(0));
    const { train, test, classes } = tg.data.loadCifar10(cifar);
    expect(train.images.shape).toEqual([10, 3, 32, 32]);
    expect(Array.from(train.labels)).toEqual([1, 8, 2, 7, 3, 6, 4, 5, 5, 4]);
    expect(test.images.shape).toEqual([1, 3, 32, 32]);
    // Image 0 (label 1): red (0,0) is byte 7, green (0,0) byte 7 + 1024, blue (31,31) byte 7 + 3071.
    expect(train.images.data[0]).toBeCloseTo(7 / 255, 7);
    expect(train.images.data[1024]).toBeCloseTo(((7 + 1024) % 256) / 255, 7);
    expect(train.images.data[3071]).toBeCloseTo(((7 + 3071) % 256) / 255, 7);
    expect(classes).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    const [x, y] = [...new tg.data.DataLoader(train, { batchSize: 4 })][0];
    expect([x.shape, Array.from(y.data)]).toEqual([
      [4, 3, 32, 32],
      [1, 8, 2, 7],
    ]);
  });

  test('a file that is not whole records, a bad label, a missing file', () => {
    const bad = path.join(dir, 'bad');
    fs.mkdirSync(bad);
    for (let b = 1; b <= 5; b++) fs.writeFileSync(path.join(bad, `data_batch_${b}.bin`), record(1));
    fs.writeFileSync(path.join(bad, 'test_batch.bin'), record(1).subarray(0, 3000));
    expect(() => tg.data.loadCifar10(bad)).toThrow(
      /test_batch\.bin is not a CIFAR-10 batch: 3000 bytes is not a whole number of 3073-byte records/,
    );
    fs.writeFileSync(path.join(bad, 'test_batch.bin'), record(12));
    expect(() => tg.data.loadCifar10(bad)).toThrow(/test_batch\.bin record 0 has label 12, not a class 0\.\.9/);
    fs.rmSync(path.join(bad, 'data_batch_3.bin'));
    expect(() => tg.data.loadCifar10(bad)).toThrow(/loadCifar10: cannot read .*data_batch_3\.bin/);
  });
});

describe('imageFolder', () => {
  const png = (w: number, h: number, rgba: number[]) => {
    const p = new PNG({ width: w, height: h });
    p.data = Buffer.from(rgba);
    return PNG.sync.write(p);
  };

  test('classes are the sorted folders, samples the sorted PNGs; item i is ([3,H,W] in [0,1], class)', () => {
    const root = path.join(dir, 'folder');
    for (const c of ['dog', 'cat']) fs.mkdirSync(path.join(root, c), { recursive: true });
    fs.writeFileSync(path.join(root, 'cat', 'b.png'), png(2, 1, [255, 0, 0, 255, 0, 0, 255, 128]));
    fs.writeFileSync(path.join(root, 'cat', 'a.png'), png(1, 1, [0, 255, 0, 255]));
    fs.writeFileSync(path.join(root, 'cat', 'notes.txt'), 'not an image');
    fs.writeFileSync(path.join(root, 'dog', 'c.PNG'), png(1, 1, [51, 51, 51, 255]));
    const ds = tg.data.imageFolder(root);
    expect(ds.classes).toEqual(['cat', 'dog']);
    expect(ds.classToIdx).toEqual({ cat: 0, dog: 1 });
    expect(ds.samples.map(([f, c]) => [path.basename(f), c])).toEqual([
      ['a.png', 0],
      ['b.png', 0],
      ['c.PNG', 1],
    ]);
    expect(ds.length).toBe(3);
    const [img, label] = ds.get(1);
    expect([img.shape, label]).toEqual([[3, 1, 2], 0]);
    expect(img.toArray()).toEqual([[[1, 0]], [[0, 0]], [[0, 1]]]);
    const resized = tg.data.imageFolder(root, {
      transform: tg.data.transforms.compose([tg.data.transforms.toTensor(), tg.data.transforms.resize([2, 2])]),
    });
    const [x, y] = [...new tg.data.DataLoader(resized, { batchSize: 3 })][0];
    expect([x.shape, Array.from(y.data)]).toEqual([
      [3, 3, 2, 2],
      [0, 0, 1],
    ]);
  });

  test('a PNG declaring a huge size is refused before decoding; an empty folder is an error', () => {
    const root = path.join(dir, 'hostile');
    fs.mkdirSync(path.join(root, 'x'), { recursive: true });
    const bytes = png(1, 1, [0, 0, 0, 255]);
    bytes.writeUInt32BE(20000, 16);
    bytes.writeUInt32BE(20000, 20);
    fs.writeFileSync(path.join(root, 'x', 'big.png'), bytes);
    expect(() => tg.data.imageFolder(root).get(0)).toThrow(
      /big\.png is not a readable PNG: it declares 20000×20000 pixels, over the limit of 67108864/,
    );
    fs.mkdirSync(path.join(dir, 'empty', 'a'), { recursive: true });
    expect(() => tg.data.imageFolder(path.join(dir, 'empty'))).toThrow(
      /imageFolder: .*empty has no \.png files in its class folders \(a\)/,
    );
  });
});
