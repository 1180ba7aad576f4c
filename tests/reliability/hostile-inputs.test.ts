/**
 * Issue #31, item 4: hostile inputs are bounded. Image files whose headers declare 16000×16000
 * pixels (PNG, JPEG, BMP, GIF, TIFF: a few hundred bytes each, generated here) are refused by
 * `tapegrad predict` from the header, before decoding, in a fraction of a second and without the
 * memory; IDX files and gzip streams whose declared sizes disagree with their bytes are refused
 * before anything of that size is allocated. (safetensors headers: tests/safetensors*.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import * as tg from '../../src';
import { run as predictRun } from '../../src/cli/predict';
import { gunzip } from '../../src/platform/gzip';
import { run as trainRun } from '../../src/cli/train';
import { imageHeader, MAX_IMAGE_PIXELS } from '../../src/train/image-header';
import { capture } from '../cli-capture';

jest.setTimeout(120_000);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-hostile-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

const be32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const le32 = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const le16 = (v: number) => [v & 255, (v >>> 8) & 255];
const be16 = (v: number) => [(v >>> 8) & 255, v & 255];

/** A PNG of w×h grey pixels: signature, IHDR, one small IDAT (a few rows of zeros), IEND, CRCs right. */
function png(w: number, h: number): Uint8Array {
  const chunk = (type: string, data: number[]) => {
    const body = new Uint8Array([...Buffer.from(type, 'latin1'), ...data]);
    return [...be32(data.length), ...body, ...be32(crc32(body))];
  };
  const idat = [...gzipSync(new Uint8Array(1000)).subarray(10, -8)];
  return new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...chunk('IHDR', [...be32(w), ...be32(h), 8, 0, 0, 0, 0]),
    ...chunk('IDAT', [0x78, 0x9c, ...idat]),
    ...chunk('IEND', []),
  ]);
}

const hostile: Record<string, Uint8Array> = {
  'big.png': png(16000, 16000),
  'big.jpg': new Uint8Array([
    0xff,
    0xd8,
    0xff,
    0xe0,
    0,
    16,
    ...Buffer.from('JFIF\0'),
    1,
    1,
    0,
    0,
    1,
    0,
    1,
    0,
    0,
    0xff,
    0xc0,
    0,
    11,
    8,
    ...be16(16000),
    ...be16(16000),
    1,
    1,
    0x11,
    0,
    0xff,
    0xd9,
  ]),
  'big.gif': new Uint8Array([...Buffer.from('GIF89a'), ...le16(16000), ...le16(16000), 0, 0, 0, 0x3b]),
  'big.bmp': new Uint8Array([
    0x42,
    0x4d,
    ...le32(54),
    0,
    0,
    0,
    0,
    ...le32(54),
    ...le32(40),
    ...le32(16000),
    ...le32(-16000),
    ...le16(1),
    ...le16(24),
    ...new Array(24).fill(0),
  ]),
  'big.tiff': new Uint8Array([
    0x49,
    0x49,
    42,
    0,
    ...le32(8),
    ...le16(2),
    ...le16(256),
    ...le16(4),
    ...le32(1),
    ...le32(16000),
    ...le16(257),
    ...le16(4),
    ...le32(1),
    ...le32(16000),
    ...le32(0),
  ]),
};

test('the headers are read right: the hostile files declare 16000×16000, a real PNG its own size', () => {
  for (const [name, bytes] of Object.entries(hostile)) {
    expect([name, imageHeader(bytes)?.width, imageHeader(bytes)?.height]).toEqual([name, 16000, 16000]);
  }
  const real = new PNG({ width: 7, height: 5 });
  expect(imageHeader(PNG.sync.write(real))).toEqual({ format: 'PNG', width: 7, height: 5 });
  expect(imageHeader(new Uint8Array([1, 2, 3]))).toBeNull();
});

describe('tapegrad predict', () => {
  const run = path.join(tmp, 'run');
  beforeAll(async () => {
    expect((await capture(() => trainRun(['--model', 'mlp', '--epochs', '1', '--limit', '50', '--out', run]))).code).toBe(0);
    for (const [name, bytes] of Object.entries(hostile)) fs.writeFileSync(path.join(tmp, name), bytes);
  });

  test.each(Object.keys(hostile))('%s (16000×16000 declared) is refused from its header, at once and without the memory', async (name) => {
    const file = path.join(tmp, name);
    const rss = process.memoryUsage().rss;
    const t0 = Date.now();
    const r = await capture(() => predictRun([run, file]));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 << 20);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      `tapegrad predict: ${file}: the ${imageHeader(hostile[name])!.format} header declares 16000x16000 pixels, more than the ${MAX_IMAGE_PIXELS} predict decodes; scale the image down first`,
    ]);
  });

  test('a file that is no image it knows is refused in its own words, without echoing its bytes', async () => {
    const junk = path.join(tmp, 'junk.png');
    fs.writeFileSync(junk, 'root:x:0:0:SECRET');
    const r = await capture(() => predictRun([run, junk]));
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`tapegrad predict: ${junk}: not a PNG, JPEG, BMP, GIF or TIFF image (no image size in its first bytes)`]);
  });
});

describe('IDX and gzip: declared sizes against the bytes, before allocating', () => {
  const idx = (dims: number[], body: number) => new Uint8Array([0, 0, 8, dims.length, ...dims.flatMap(be32), ...new Array(body).fill(0)]);

  test('an IDX header declaring 60000×28×28 images over 16 bytes is refused, naming the sizes', () => {
    expect(() => tg.data.parseIdx(idx([60000, 28, 28], 16), idx([60000], 0))).toThrow(
      /^parseIdx: the images is not a valid IDX images file: 32 bytes, expected 47040016 for dimensions \[60000,28,28\] \(truncated\)$/,
    );
  });

  test('a gzip trailer declaring 3 GB is not trusted: nothing of that size is allocated', () => {
    const gz = new Uint8Array(gzipSync(idx([1, 2, 2], 4)));
    gz.set(le32(3_000_000_000), gz.length - 4);
    const rss = process.memoryUsage().rss;
    const t0 = Date.now();
    const images = tg.data.parseIdx(gz, gzipSync(idx([1], 1))).images;
    expect(images.shape).toEqual([1, 1, 2, 2]);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 << 20);
  });

  test('a stream that inflates past the limit (a gzip bomb) is stopped there', () => {
    const bomb = new Uint8Array(gzipSync(new Uint8Array(20 << 20)));
    expect(bomb.length).toBeLessThan(100_000);
    expect(() => gunzip(bomb, 1 << 20)).toThrow(/^the gzip stream inflates to more than the 1048576 bytes allowed$/);
    // A trailer that understates the size is no way round the limit.
    bomb.set(le32(2 << 20), bomb.length - 4);
    expect(() => gunzip(bomb, 1 << 20)).toThrow(/^the gzip stream inflates to more than the 1048576 bytes allowed$/);
  });
});
