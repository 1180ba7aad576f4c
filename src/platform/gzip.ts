/**
 * @file gunzip on every platform (fflate: the same code in Node and in the browser), for the
 * bundled digits and for IDX files given as bytes.
 */
import { gunzipSync } from 'fflate';

/** Whether the bytes start with gzip's magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The decompressed bytes; a damaged or truncated stream throws (with fflate's reason). */
export function gunzip(bytes: Uint8Array): Uint8Array {
  return gunzipSync(bytes);
}
