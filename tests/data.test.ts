/** Data: the bundled digits, IDX files (plain, gzipped, damaged), Fashion-MNIST, batches, splits, gather. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import * as tg from '../src';

const { data } = tg;

describe('loadDigits', () => {
  const digits = data.loadDigits();

  test('images [1797,1,8,8] in [0,1] (multiples of 1/16), labels 0..9 with the UCI class counts', () => {
    expect(digits.images.shape).toEqual([1797, 1, 8, 8]);
    expect(digits.images.dtype).toBe('float32');
    const px = Array.from(digits.images.data);
    expect(Math.min(...px)).toBe(0);
    expect(Math.max(...px)).toBe(1);
    expect(px.every((v) => Number.isInteger(v * 16))).toBe(true);
    expect(digits.labels).toBeInstanceOf(Int32Array);
    expect(digits.labels.length).toBe(1797);
    const counts = new Array(10).fill(0);
    for (const l of digits.labels) counts[l]++;
    expect(counts).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
  });

  test("the first image and label are the file's first row", () => {
    expect(Array.from(digits.images.data.subarray(0, 8)).map((v) => v * 16)).toEqual([0, 0, 5, 13, 9, 1, 0, 0]);
    expect(digits.labels[0]).toBe(0);
  });
});

describe('loadIdx', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-idx-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true }));

  /** An IDX file: two zero bytes, type 0x08 (unsigned byte), the rank, big-endian sizes, the bytes. */
  const idx = (dims: number[], bytes: number[]) => {
    const header = Buffer.alloc(4 + 4 * dims.length);
    header[2] = 0x08;
    header[3] = dims.length;
    dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
    return Buffer.concat([header, Buffer.from(bytes)]);
  };
  const pixels = Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 11) % 256);
  const write = (name: string, content: Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  test('plain and gzipped files give images [N,1,H,W] scaled by 1/255 and Int32Array labels', () => {
    const images = idx([3, 2, 4], pixels);
    const labels = idx([3], [7, 0, 9]);
    for (const [imgs, lbls] of [
      [write('img', images), write('lbl', labels)],
      [write('img.gz', zlib.gzipSync(images)), write('lbl.gz', zlib.gzipSync(labels))],
    ]) {
      const set = data.loadIdx(imgs, lbls);
      expect(set.images.shape).toEqual([3, 1, 2, 4]);
      expect(Array.from(set.images.data)).toEqual(pixels.map((v) => Math.fround(v / 255)));
      expect(Array.from(set.labels)).toEqual([7, 0, 9]);
      expect(set.labels).toBeInstanceOf(Int32Array);
    }
  });

  test('parseIdx takes the same files as bytes, plain or gzipped, and checks them the same way', () => {
    const images = idx([3, 2, 4], pixels);
    const labels = idx([3], [7, 0, 9]);
    for (const [imgs, lbls] of [
      [images, labels],
      [zlib.gzipSync(images), zlib.gzipSync(labels)],
    ]) {
      const set = data.parseIdx(new Uint8Array(imgs), new Uint8Array(lbls));
      expect(set.images.shape).toEqual([3, 1, 2, 4]);
      expect(Array.from(set.images.data)).toEqual(pixels.map((v) => Math.fround(v / 255)));
      expect(Array.from(set.labels)).toEqual([7, 0, 9]);
    }
    expect(() => data.parseIdx(new Uint8Array(images.subarray(0, 30)), new Uint8Array(labels))).toThrow(
      'parseIdx: the images is not a valid IDX images file: 30 bytes, expected 40 for dimensions [3,2,4] (truncated)',
    );
    expect(() => data.parseIdx(new Uint8Array(images), new Uint8Array(idx([2], [1, 2])))).toThrow(
      'parseIdx: the images holds 3 images but the labels holds 2 labels',
    );
    expect(() => data.parseIdx('x' as unknown as Uint8Array, new Uint8Array(labels))).toThrow('parseIdx: the images must be a Uint8Array');
  });

  test('truncated, corrupt and mismatched files throw a clear error naming the file', () => {
    const labels = write('ok-labels', idx([3], [1, 2, 3]));
    const truncated = write('truncated', idx([3, 2, 4], pixels).subarray(0, 30));
    expect(() => data.loadIdx(truncated, labels)).toThrow(
      `loadIdx: ${truncated} is not a valid IDX images file: 30 bytes, expected 40 for dimensions [3,2,4] (truncated)`,
    );
    const gz = zlib.gzipSync(idx([3, 2, 4], pixels));
    const truncatedGz = write('truncated.gz', gz.subarray(0, gz.length - 12));
    expect(() => data.loadIdx(truncatedGz, labels)).toThrow(`loadIdx: ${truncatedGz} is a damaged or truncated gzip file`);
    const short = write('short', Buffer.from([0, 0, 8, 3, 0, 0]));
    expect(() => data.loadIdx(short, labels)).toThrow(`loadIdx: ${short} is not a valid IDX images file: truncated header (6 bytes)`);
    const badMagic = write('bad-magic', Buffer.from('hello world, not idx'));
    expect(() => data.loadIdx(badMagic, labels)).toThrow(
      `loadIdx: ${badMagic} is not a valid IDX images file: bad magic number 0x68656c6c`,
    );
    const floats = idx([3, 2, 4], pixels);
    floats[2] = 0x0d;
    const floatFile = write('floats', floats);
    expect(() => data.loadIdx(floatFile, labels)).toThrow(
      `loadIdx: ${floatFile} is not a valid IDX images file: element type 0x0d, expected unsigned bytes (0x08)`,
    );
    const images = write('ok-images', idx([3, 2, 4], pixels));
    expect(() => data.loadIdx(labels, images)).toThrow(`loadIdx: ${labels} is not a valid IDX images file: 1 dimensions, expected 3`);
    const twoLabels = write('two-labels', idx([2], [1, 2]));
    expect(() => data.loadIdx(images, twoLabels)).toThrow(`loadIdx: ${images} holds 3 images but ${twoLabels} holds 2 labels`);
    const extra = write('extra', Buffer.concat([idx([3], [1, 2, 3]), Buffer.from([0])]));
    expect(() => data.loadIdx(images, extra)).toThrow(
      `loadIdx: ${extra} is not a valid IDX labels file: 12 bytes, expected 11 for dimensions [3]`,
    );
    const missing = path.join(dir, 'nope');
    expect(() => data.loadIdx(missing, labels)).toThrow(`loadIdx: cannot read ${missing}`);
  });

  test('Fashion-MNIST t10k (../shared/data/fashion-mnist) loads as 10 000 × 1 × 28 × 28', () => {
    const folder = path.join(__dirname, '..', '..', 'shared', 'data', 'fashion-mnist');
    if (!fs.existsSync(folder)) {
      console.log(`Fashion-MNIST not found at ${folder}: nothing to check here`);
      return;
    }
    const set = data.loadIdx(path.join(folder, 't10k-images-idx3-ubyte.gz'), path.join(folder, 't10k-labels-idx1-ubyte.gz'));
    expect(set.images.shape).toEqual([10000, 1, 28, 28]);
    expect(set.labels.length).toBe(10000);
    const counts = new Array(10).fill(0);
    for (const l of set.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(1000));
    const px = set.images.data;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < px.length; i++) {
      if (px[i] < lo) lo = px[i];
      if (px[i] > hi) hi = px[i];
    }
    expect([lo, hi]).toEqual([0, 1]);
  });
});

describe('batches, trainTestSplit and gather', () => {
  test('batches cover every index once, in batchSize pieces with a smaller last one', () => {
    const bs = [...data.batches(10, 4, { rng: tg.rng('b') })];
    expect(bs.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(bs.every((b) => b instanceof Int32Array)).toBe(true);
    const all = bs.flatMap((b) => Array.from(b));
    expect([...all].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(all).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...data.batches(10, 4, { rng: tg.rng('b') })].map((b) => Array.from(b))).toEqual(bs.map((b) => Array.from(b)));
    expect([...data.batches(5, 2, { shuffle: false })].map((b) => Array.from(b))).toEqual([[0, 1], [2, 3], [4]]);
    expect([...data.batches(5, 2, { shuffle: false, dropLast: true })].map((b) => Array.from(b))).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(() => data.batches(5, 0)).toThrow('batches: batchSize must be an integer >= 1, got 0');
  });

  const numbered = (n: number): tg.data.ImageSet => ({
    images: tg.tensor(
      Float32Array.from({ length: n * 4 }, (_, i) => i),
      { shape: [n, 1, 2, 2] },
    ),
    labels: Int32Array.from({ length: n }, (_, i) => i),
  });

  test('gather copies the rows and labels at the given indices', () => {
    const picked = data.gather(numbered(5), [3, 0, 3]);
    expect(picked.images.shape).toEqual([3, 1, 2, 2]);
    expect(Array.from(picked.images.data)).toEqual([12, 13, 14, 15, 0, 1, 2, 3, 12, 13, 14, 15]);
    expect(Array.from(picked.labels)).toEqual([3, 0, 3]);
    expect(() => data.gather(numbered(5), [5])).toThrow('gather: index 5 is out of range for 5 items (images [5,1,2,2])');
  });

  test('trainTestSplit holds out ceil(20%) of the items, disjoint from the rest, reproducibly', () => {
    const { train, test } = data.trainTestSplit(numbered(1797), { rng: tg.rng('split') });
    expect(test.labels.length).toBe(360);
    expect(train.labels.length).toBe(1437);
    const ids = [...train.labels, ...test.labels].sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 1797 }, (_, i) => i));
    // Images travel with their labels.
    expect(test.images.data[4 * 7]).toBe(test.labels[7] * 4);
    const again = data.trainTestSplit(numbered(1797), { rng: tg.rng('split') });
    expect(Array.from(again.test.labels)).toEqual(Array.from(test.labels));
    expect(() => data.trainTestSplit(numbered(4), { testFraction: 1.5 })).toThrow('trainTestSplit: testFraction must be in [0,1], got 1.5');
  });
});

test('a damaged digits.csv.gz is an error naming the file, not a bare zlib message', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fsModule = require('fs') as typeof import('fs');
  const real = fsModule.readFileSync;
  const spy = jest.spyOn(fsModule, 'readFileSync').mockImplementation(((file: unknown, ...rest: unknown[]) => {
    const bytes = (real as (...a: unknown[]) => Buffer)(file, ...rest);
    // The first half of the real file: a truncated gzip stream.
    return String(file).endsWith('digits.csv.gz') ? bytes.subarray(0, bytes.length >> 1) : bytes;
  }) as typeof fsModule.readFileSync);
  try {
    expect(() => tg.data.loadDigits()).toThrow(/^loadDigits: cannot read .*data.digits\.csv\.gz: unexpected EOF$/);
  } finally {
    spy.mockRestore();
  }
  expect(tg.data.loadDigits().labels.length).toBe(1797);
});
