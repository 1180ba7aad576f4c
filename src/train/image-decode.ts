/**
 * @file Image files as the grey pictures `tapegrad predict` classifies: PNG (pngjs) and JPEG
 * (jpeg-js) decoded to RGBA, converted to grey as PIL's "L" mode does (ITU-R 601-2 luma, what a
 * torchvision pipeline sees), blended over black by their alpha, and resized to the model's input —
 * by averaging the covered source area when shrinking (no aliasing from a large photo), bilinearly
 * when enlarging.
 *
 * Note [two light decoders]: predict used jimp, which reads five formats and brought 16 MB of
 * dependencies into every install for this one function. PNG and JPEG are what people save digits
 * and photos as; BMP, GIF and TIFF files are refused with the advice to convert them.
 */
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export interface GreyPicture {
  width: number;
  height: number;
  /** Row-major grey levels in [0, 1]. */
  values: Float32Array;
}

/** RGBA bytes of a PNG or JPEG file's contents; throws naming the format for anything else. */
function decodeRgba(bytes: Uint8Array, format: string, limits: { maxPixels: number }): { width: number; height: number; data: Uint8Array } {
  if (format === 'PNG') {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: png.data };
  }
  if (format === 'JPEG') {
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: limits.maxPixels / 1e6,
      maxMemoryUsageInMB: 1024,
    });
    return { width: img.width, height: img.height, data: img.data };
  }
  throw new Error(`a ${format} image: predict reads PNG and JPEG files (convert it to PNG first)`);
}

/** The grey picture of an image file's bytes (`format` from its header: image-header.ts). */
export function decodeGrey(bytes: Uint8Array, format: string, limits: { maxPixels: number }): GreyPicture {
  const { width, height, data } = decodeRgba(bytes, format, limits);
  const values = new Float32Array(width * height);
  for (let i = 0; i < values.length; i++) {
    const grey = (data[4 * i] * 299 + data[4 * i + 1] * 587 + data[4 * i + 2] * 114) / 1000;
    // Alpha blends toward black: a transparent pixel is background.
    values[i] = (grey / 255) * (data[4 * i + 3] / 255);
  }
  return { width, height, values };
}

/** The weights [out, in] that map `size` source samples to `out` along one axis: box averages when shrinking, linear interpolation when enlarging (half-pixel centres). */
function axisWeights(out: number, size: number): Float64Array {
  const m = new Float64Array(out * size);
  const scale = size / out;
  for (let d = 0; d < out; d++) {
    if (scale > 1) {
      // The source interval [d·scale, (d+1)·scale), each source pixel weighted by its overlap.
      const lo = d * scale;
      const hi = lo + scale;
      for (let s = Math.floor(lo); s < Math.min(size, Math.ceil(hi)); s++)
        m[d * size + s] = (Math.min(hi, s + 1) - Math.max(lo, s)) / scale;
    } else {
      const src = Math.min(Math.max((d + 0.5) * scale - 0.5, 0), size - 1);
      const i0 = Math.floor(src);
      const i1 = Math.min(i0 + 1, size - 1);
      m[d * size + i0] += 1 - (src - i0);
      m[d * size + i1] += src - i0;
    }
  }
  return m;
}

/** The picture resized to height × width (separable: rows, then columns). */
export function resizeGrey(p: GreyPicture, height: number, width: number): Float32Array {
  if (p.width === width && p.height === height) return p.values;
  const wx = axisWeights(width, p.width);
  const wy = axisWeights(height, p.height);
  const rows = new Float64Array(p.height * width);
  for (let y = 0; y < p.height; y++)
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let s = 0; s < p.width; s++) {
        const k = wx[x * p.width + s];
        if (k !== 0) acc += k * p.values[y * p.width + s];
      }
      rows[y * width + x] = acc;
    }
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++)
    for (let s = 0; s < p.height; s++) {
      const k = wy[y * p.height + s];
      if (k === 0) continue;
      for (let x = 0; x < width; x++) out[y * width + x] += k * rows[s * width + x];
    }
  return out;
}
