/**
 * @file PNG files for the library (tg.data.imageFolder reads them, tg.viz.saveImage writes them),
 * through pngjs in Node; the browser build swaps in png.browser.ts.
 *
 * Note [bounded PNG decoding]: a PNG of a few hundred bytes can declare 16000×16000 pixels, which
 * decode to a gigabyte. The declared size is read from the IHDR chunk first and refused beyond
 * MAX_PNG_PIXELS before pngjs allocates anything.
 */
import { PNG } from 'pngjs';

/** The largest image decoded: 64 megapixels (256 MB of RGBA). */
export const MAX_PNG_PIXELS = 64 * 1024 * 1024;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Decoded pixels: RGBA, 8 bits per channel, row by row. */
export interface DecodedPng {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes a PNG's bytes; `name` is how errors refer to it (Note [bounded PNG decoding]). */
export function decodePng(bytes: Uint8Array, name: string): DecodedPng {
  const fail = (why: string) => new Error(`${name} is not a readable PNG: ${why}`);
  if (bytes.length < 24 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw fail('it does not start with the PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw fail('the first chunk is not IHDR');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width * height > MAX_PNG_PIXELS) throw fail(`it declares ${width}×${height} pixels, over the limit of ${MAX_PNG_PIXELS}`);
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw fail((e as Error).message);
  }
  return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
}

/** A PNG file of 8-bit pixels row by row: 1 channel (grey), 3 (RGB) or 4 (RGBA). */
export function encodePng(width: number, height: number, channels: 1 | 3 | 4, data: Uint8Array): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) rgba[4 * i + k] = data[i * channels + (channels === 1 ? 0 : k)];
    rgba[4 * i + 3] = channels === 4 ? data[4 * i + 3] : 255;
  }
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer);
  const colorType = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  const out = PNG.sync.write(png, { colorType, inputColorType: 6, bitDepth: 8, inputHasAlpha: true });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
