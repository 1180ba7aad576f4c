/**
 * @file The browser's stand-in for png.ts: PNG files are read and written from Node (pngjs needs
 * its streams); in a page, draw a tensor with a canvas instead.
 */
export const MAX_PNG_PIXELS = 64 * 1024 * 1024;

export interface DecodedPng {
  width: number;
  height: number;
  data: Uint8Array;
}

export function decodePng(_bytes: Uint8Array, name: string): DecodedPng {
  throw new Error(
    `decoding ${name}: PNG files are read in Node only; in the browser, decode with a canvas and pass the pixels to tg.data.transforms.toTensor`,
  );
}

export function encodePng(_width: number, _height: number, _channels: 1 | 3 | 4, _data: Uint8Array): Uint8Array {
  throw new Error('encodePng: PNG files are written in Node only; in the browser, draw the pixels on a canvas');
}
