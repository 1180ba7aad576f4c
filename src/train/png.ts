/**
 * @file Greyscale PNGs (encoded by pngjs), so report.html can show filters and feature maps as
 * compact data-URI images instead of thousands of SVG rects.
 */
import { PNG } from 'pngjs';

/** A greyscale picture; `values` are row-major, any range (they are stretched to black..white). */
export interface GreyImage {
  width: number;
  height: number;
  values: ArrayLike<number>;
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

/** An 8-bit greyscale PNG file of `image`, stretched from its minimum to its maximum (toGreyBytes). */
export function encodeGreyPng(image: GreyImage): Buffer {
  const { width, height } = image;
  if (image.values.length !== width * height) {
    throw new Error(`encodeGreyPng: ${image.values.length} values do not fill a ${width}x${height} image`);
  }
  return encodeGreyBytes(width, height, toGreyBytes(image.values));
}

/** An 8-bit greyscale PNG file of bytes as they are (0 black, 255 white). */
export function encodeGreyBytes(width: number, height: number, bytes: Uint8Array): Buffer {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false });
  png.data = Buffer.from(bytes);
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8 });
}

export function pngDataUri(image: GreyImage): string {
  return `data:image/png;base64,${encodeGreyPng(image).toString('base64')}`;
}
