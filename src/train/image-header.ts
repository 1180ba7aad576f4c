/**
 * @file An image file's width and height from its header alone — PNG, JPEG, BMP, GIF, TIFF — so
 * `tapegrad predict` refuses an image too large to decode before decoding it (issue #31: a 249 KB
 * PNG that decodes to 16000×16000 took 1.5 GB and 88 s). Only the bytes of the header are read.
 */

/** The most pixels `predict` decodes (25 megapixels: a 5000×5000 image, about 100 MB as RGBA). */
export const MAX_IMAGE_PIXELS = 25_000_000;

export interface ImageHeader {
  format: 'PNG' | 'JPEG' | 'BMP' | 'GIF' | 'TIFF';
  width: number;
  height: number;
}

const u16be = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u16le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u32be = (b: Uint8Array, i: number) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const u32le = (b: Uint8Array, i: number) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

/** The dimensions the header declares, or null when the bytes are none of the five formats (or end inside the header). */
export function imageHeader(b: Uint8Array): ImageHeader | null {
  const has = (n: number) => b.length >= n;
  // PNG: the signature, then the IHDR chunk (width, height: big-endian u32).
  if (
    has(24) &&
    b[0] === 0x89 &&
    b[1] === 0x50 &&
    b[2] === 0x4e &&
    b[3] === 0x47 &&
    String.fromCharCode(...b.subarray(12, 16)) === 'IHDR'
  ) {
    return { format: 'PNG', width: u32be(b, 16), height: u32be(b, 20) };
  }
  // GIF: the logical screen (little-endian u16).
  if (has(10) && String.fromCharCode(...b.subarray(0, 6)).match(/^GIF8[79]a$/))
    return { format: 'GIF', width: u16le(b, 6), height: u16le(b, 8) };
  // BMP: the DIB header (OS/2's 12-byte one holds u16s; the others i32s, a negative height meaning top-down).
  if (has(26) && b[0] === 0x42 && b[1] === 0x4d) {
    if (u32le(b, 14) === 12) return { format: 'BMP', width: u16le(b, 18), height: u16le(b, 20) };
    return { format: 'BMP', width: Math.abs(u32le(b, 18) | 0), height: Math.abs(u32le(b, 22) | 0) };
  }
  // JPEG: the first start-of-frame marker (SOF0–SOF15 but DHT, JPG, DAC), segments skipped by length.
  if (has(4) && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 <= b.length) {
      if (b[i] !== 0xff) return null;
      const marker = b[i + 1];
      if (marker === 0xff) {
        i++;
        continue;
      }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        i += 2;
        continue;
      }
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: 'JPEG', width: u16be(b, i + 7), height: u16be(b, i + 5) };
      }
      i += 2 + u16be(b, i + 2);
    }
    return null;
  }
  // TIFF: the first IFD's ImageWidth (256) and ImageLength (257) entries.
  const le = has(8) && b[0] === 0x49 && b[1] === 0x49 && b[2] === 42 && b[3] === 0;
  const be = has(8) && b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 42;
  if (le || be) {
    const r16 = le ? u16le : u16be;
    const r32 = le ? u32le : u32be;
    const ifd = r32(b, 4);
    if (ifd + 2 > b.length) return null;
    const n = r16(b, ifd);
    let width = -1;
    let height = -1;
    for (let k = 0; k < n && ifd + 2 + 12 * (k + 1) <= b.length; k++) {
      const at = ifd + 2 + 12 * k;
      const tag = r16(b, at);
      const value = r16(b, at + 2) === 3 ? r16(b, at + 8) : r32(b, at + 8);
      if (tag === 256) width = value;
      if (tag === 257) height = value;
    }
    return width >= 0 && height >= 0 ? { format: 'TIFF', width, height } : null;
  }
  return null;
}
