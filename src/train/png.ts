/**
 * @file A minimal greyscale PNG encoder, so report.html can show filters and feature maps as
 * compact data-URI images instead of thousands of SVG rects.
 */
import { deflateSync } from 'node:zlib';

/** A greyscale picture; `values` are row-major, any range (they are stretched to black..white). */
export interface GreyImage {
  width: number;
  height: number;
  values: ArrayLike<number>;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** Stretches `values` linearly from their minimum (black) to their maximum (white), as ConvNetJS draws filters. */
export function toGreyBytes(values: ArrayLike<number>): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  const span = hi - lo;
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) bytes[i] = span > 0 ? Math.round((255 * (values[i] - lo)) / span) : 128;
  return bytes;
}

/** An 8-bit greyscale PNG file of `image`. */
export function encodeGreyPng(image: GreyImage): Buffer {
  const { width, height } = image;
  if (image.values.length !== width * height) {
    throw new Error(`encodeGreyPng: ${image.values.length} values do not fill a ${width}x${height} image`);
  }
  const grey = toGreyBytes(image.values);
  // Each scanline starts with its filter type; 0 = none.
  const raw = new Uint8Array(height * (width + 1));
  for (let r = 0; r < height; r++) raw.set(grey.subarray(r * width, (r + 1) * width), r * (width + 1) + 1);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // colour type: greyscale
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

export function pngDataUri(image: GreyImage): string {
  return `data:image/png;base64,${encodeGreyPng(image).toString('base64')}`;
}
