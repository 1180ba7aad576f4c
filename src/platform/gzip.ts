/**
 * @file gunzip on every platform (fflate: the same code in Node and in the browser), for the
 * bundled digits and for IDX files given as bytes.
 */
import { Gunzip, gunzipSync } from 'fflate';

/** Whether the bytes start with gzip's magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The most bytes gunzip inflates to by default (1 GiB). */
export const MAX_GUNZIP_BYTES = 1 << 30;

/**
 * The decompressed bytes; a damaged or truncated stream throws (with fflate's reason), and so does
 * one that inflates past `maxBytes`. fflate's one-shot gunzip allocates the size the stream's
 * trailer declares up front, so a few hostile (or truncated) bytes could ask for gigabytes: a
 * trailer above `maxBytes` is not trusted, and the stream is inflated chunk by chunk instead,
 * counting, and stopped at the limit.
 */
export function gunzip(bytes: Uint8Array, maxBytes = MAX_GUNZIP_BYTES): Uint8Array {
  const n = bytes.length;
  const declared = n >= 18 ? (bytes[n - 4] | (bytes[n - 3] << 8) | (bytes[n - 2] << 16) | (bytes[n - 1] << 24)) >>> 0 : 0;
  if (declared <= maxBytes) return gunzipSync(bytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const stream = new Gunzip((chunk) => {
    total += chunk.length;
    if (total > maxBytes) throw new Error(`the gzip stream inflates to more than the ${maxBytes} bytes allowed`);
    chunks.push(chunk);
  });
  for (let at = 0; at < n; at += 1 << 16) stream.push(bytes.subarray(at, Math.min(n, at + (1 << 16))), at + (1 << 16) >= n);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
