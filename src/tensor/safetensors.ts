/**
 * @file The safetensors format (Hugging Face's; what PyTorch users save weights in), read and
 * written exactly: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range (plus an optional `__metadata__` map of strings), padded with spaces to a
 * multiple of 8, then the tensors' little-endian bytes back to back.
 *
 * Note [safetensors layout]: the writer lays the file out as the reference (Rust) implementation
 * does, so a file tapegrad writes is byte for byte the file `safetensors.torch.save_file` writes
 * for the same tensors: tensors sorted by dtype, widest alignment first (the order of the reference's
 * dtype enum, reversed: I64, F64, F32, I32, U8, BOOL), then by name in byte order; the header is
 * compact JSON with `__metadata__` first and each entry's fields in the order dtype, shape,
 * data_offsets. The reference keeps metadata in a hash map, so its key order is arbitrary; ours is
 * sorted, which is one of the orders it may write.
 *
 * Note [hostile safetensors]: a file is validated completely from its header before anything is
 * allocated for its tensors: the header length against the file's size, the JSON, every entry's
 * dtype, shape and byte range (each shape × element size must equal its range, and the ranges must
 * tile the data exactly: no overlap, no hole, no byte past the end nor left over). Sizes are
 * computed in doubles and refused beyond 2^53, so a declared [1e12, 1e12] shape is an error, not an
 * allocation. Errors name the file (or "bytes" for loadBytes) and the problem.
 */
import { openForReading, writeBytesAtomic } from '../platform/files';
import { allocate, DType } from './dtype';
import { fmt } from './shape';
import { Tensor } from './tensor';

/** The reference implementation's dtypes, in its enum's order (increasing alignment). */
const FILE_DTYPES = [
  'BOOL',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
] as const;
type FileDType = (typeof FILE_DTYPES)[number];

const ELEMENT_BYTES: Record<FileDType, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** The reference refuses headers beyond 100 MB; so do we, before reading them. */
const MAX_HEADER_BYTES = 100_000_000;

/** How each tapegrad dtype is written. */
const WRITTEN_AS: Record<DType, FileDType> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };

/**
 * What each file dtype loads as (FP8 is refused, naming the tensor). Note [integers load as int32]:
 * tapegrad's one integer dtype is int32, so every integer dtype loads as int32: U8, I8, I16 and U16
 * always fit; I64 (PyTorch's num_batches_tracked and its default integer type), U32 and U64 load
 * when every value fits in an int32, and otherwise throw naming the tensor, the index and the value.
 * BOOL loads as bool (any non-zero byte is true).
 */
const LOADS_AS: Partial<Record<FileDType, DType>> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float32',
  BF16: 'float32',
  I32: 'int32',
  BOOL: 'bool',
  U8: 'int32',
  I8: 'int32',
  I16: 'int32',
  U16: 'int32',
  U32: 'int32',
  I64: 'int32',
  U64: 'int32',
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Strings compared by code point, i.e. by their UTF-8 bytes, as Rust orders `String`s. */
function byCodePoint(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

// ---- writing -------------------------------------------------------------------------------------

function checkTensors(op: string, tensors: Record<string, Tensor>, metadata: Record<string, string> | undefined): void {
  if (tensors === null || typeof tensors !== 'object' || Array.isArray(tensors)) {
    throw new Error(
      `${op}: expected a record of named tensors, got ${Array.isArray(tensors) ? 'an array' : tensors === null ? 'null' : typeof tensors}`,
    );
  }
  for (const [name, t] of Object.entries(tensors)) {
    if (!(t instanceof Tensor)) throw new Error(`${op}: '${name}' is not a tensor (got ${t === null ? 'null' : typeof t})`);
    if (name === '__metadata__') throw new Error(`${op}: '__metadata__' is reserved for the metadata and cannot name a tensor`);
    if (!(t.dtype in WRITTEN_AS)) throw new Error(`${op}: '${name}' has dtype ${t.dtype}, which safetensors cannot hold here`);
  }
  if (metadata === undefined) return;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new Error(`${op}: metadata must be a record of strings, got ${metadata === null ? 'null' : typeof metadata}`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new Error(`${op}: metadata '${key}' must be a string, got ${typeof value}`);
  }
}

/** The header (padded) and the tensors in file order (Note [safetensors layout]). */
function layout(tensors: Record<string, Tensor>, metadata: Record<string, string> | undefined): { header: Uint8Array; order: Tensor[] } {
  const rank = (t: Tensor) => FILE_DTYPES.indexOf(WRITTEN_AS[t.dtype]);
  const entries = Object.entries(tensors).sort(([na, a], [nb, b]) => rank(b) - rank(a) || byCodePoint(na, nb));
  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(byCodePoint);
    parts.push(`"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`).join(',')}}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    const end = offset + t.size * ELEMENT_BYTES[WRITTEN_AS[t.dtype]];
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${WRITTEN_AS[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const header = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  header.set(json);
  return { header, order: entries.map(([, t]) => t) };
}

/** The tensors' values as little-endian bytes. */
function valueBytes(t: Tensor): Uint8Array {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return LITTLE_ENDIAN ? bytes : swapped(bytes, t.data.BYTES_PER_ELEMENT);
}

function swapped(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) for (let k = 0; k < width; k++) out[i + k] = bytes[i + width - 1 - k];
  return out;
}

/** The safetensors file for `tensors` (and the optional string metadata), in memory. */
export function saveBytes(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  checkTensors('saveBytes', tensors, metadata);
  const { header, order } = layout(tensors, metadata);
  const total = 8 + header.length + order.reduce((n, t) => n + t.data.byteLength, 0);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let at = 8 + header.length;
  for (const t of order) {
    out.set(valueBytes(t), at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Writes `tensors` to `path` as a safetensors file, atomically: a temporary file in the same folder,
 * flushed to disk, then renamed over `path`, so a crash leaves either the old file or the new one.
 */
export function save(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  checkTensors('save', tensors, metadata);
  if (typeof path !== 'string' || path === '') throw new Error(`save: path must be a non-empty string, got ${JSON.stringify(path)}`);
  writeBytesAtomic(path, saveBytes(tensors, metadata));
}

// ---- reading -------------------------------------------------------------------------------------

/** Random access to a file's bytes: the whole of loadBytes' array, or a file read piece by piece. */
interface ByteSource {
  /** How errors name it: the path, or "bytes". */
  name: string;
  size: number;
  read(offset: number, length: number): Uint8Array;
}

interface Entry {
  name: string;
  dtype: FileDType;
  shape: number[];
  begin: number;
  end: number;
}

interface Header {
  /** The header's length in bytes; the data starts at 8 + headerBytes. */
  headerBytes: number;
  metadata: Record<string, string>;
  entries: Entry[];
}

const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The top-level keys of a JSON object's text, in order, duplicates included (JSON.parse keeps only the last). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

/** Reads and checks the header against the source's size (Note [hostile safetensors]). */
function readHeader(op: string, src: ByteSource): Header {
  const fail = (why: string) => new Error(`${op}: ${src.name} is not a valid safetensors file: ${why}`);
  if (src.size < 8) throw fail(`only ${src.size} bytes, but the file starts with an 8-byte header length (truncated?)`);
  const lengthBytes = src.read(0, 8);
  const declared = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(src.size - 8)) throw fail(`the header length ${declared} runs past the end of the file (${src.size} bytes)`);
  const headerBytes = Number(declared);
  if (headerBytes > MAX_HEADER_BYTES) throw fail(`the header length ${headerBytes} is over the ${MAX_HEADER_BYTES}-byte limit`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(src.read(8, headerBytes));
  } catch {
    throw fail('the header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('the header is not a JSON object');
  const keys = topLevelKeys(text);
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) throw fail(`the name '${k}' appears twice in the header`);
    seen.add(k);
  }

  const header = parsed as Record<string, unknown>;
  const metadata: Record<string, string> = {};
  if ('__metadata__' in header) {
    const m = header.__metadata__;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw fail('__metadata__ is not an object of strings');
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      if (typeof v !== 'string') throw fail(`__metadata__ '${k}' is not a string`);
      metadata[k] = v;
    }
  }
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (info === null || typeof info !== 'object' || Array.isArray(info)) throw fail(`the entry for '${name}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(FILE_DTYPES as readonly string[]).includes(dtype)) {
      throw fail(`'${name}' has unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every(isSize)) throw fail(`'${name}' has shape ${JSON.stringify(shape)}, not a list of sizes`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize) || offsets[0] > offsets[1]) {
      throw fail(`'${name}' has data_offsets ${JSON.stringify(offsets)}, not a [begin, end] byte range`);
    }
    const elements = shape.reduce((n: number, d: number) => n * d, 1);
    const bytes = elements * ELEMENT_BYTES[dtype as FileDType];
    if (!Number.isSafeInteger(bytes)) throw fail(`'${name}' declares shape ${fmt(shape)} of ${dtype}, too large to hold`);
    const [begin, end] = offsets as number[];
    if (bytes !== end - begin) {
      throw fail(
        `'${name}' has shape ${fmt(shape)} of ${dtype} (${bytes} bytes) but data_offsets [${begin},${end}] hold ${end - begin} bytes`,
      );
    }
    entries.push({ name, dtype: dtype as FileDType, shape, begin, end });
  }

  // The byte ranges must tile the data exactly.
  const dataBytes = src.size - 8 - headerBytes;
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of byOffset) {
    if (e.begin < at) throw fail(`'${e.name}' (bytes ${e.begin}..${e.end}) overlaps the tensor before it, which ends at ${at}`);
    if (e.begin > at) throw fail(`a hole: bytes ${at}..${e.begin} of the data belong to no tensor ('${e.name}' starts at ${e.begin})`);
    if (e.end > dataBytes)
      throw fail(`'${e.name}' (bytes ${e.begin}..${e.end}) runs past the end of the data (${dataBytes} bytes; truncated?)`);
    at = e.end;
  }
  if (at !== dataBytes) throw fail(`the tensors end at byte ${at} of the data but the data holds ${dataBytes} bytes`);
  return { headerBytes, metadata, entries };
}

const F16_SCALE = 2 ** -24;

/** One IEEE half's bits as a number. */
function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * F16_SCALE;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1024 + frac) * 2 ** (exp - 25);
}

/** A tensor from its little-endian bytes (already checked to be shape × element size). */
function decode(op: string, srcName: string, e: Entry, bytes: Uint8Array): Tensor {
  const dtype = LOADS_AS[e.dtype];
  if (dtype === undefined) throw new Error(`${op}: ${srcName}: '${e.name}' has dtype ${e.dtype}, which tapegrad cannot load`);
  const width = ELEMENT_BYTES[e.dtype];
  const n = bytes.length / width;
  const data = allocate(dtype, n);
  // A copy into a fresh (aligned) buffer, swapped on a big-endian host. Uint8Array's own slice: a
  // Node Buffer's slice() is a view (of the whole file, header included), not a copy.
  const own = LITTLE_ENDIAN ? Uint8Array.prototype.slice.call(bytes) : swapped(bytes, width);
  const buffer = own.buffer;
  const tooBig = (i: number, value: string) =>
    new Error(`${op}: ${srcName}: '${e.name}' (${e.dtype}) holds ${value} at index ${i}, which does not fit in an int32`);
  switch (e.dtype) {
    case 'F32':
      data.set(new Float32Array(buffer, 0, n));
      break;
    case 'F64':
      data.set(new Float64Array(buffer, 0, n));
      break;
    case 'I32':
      data.set(new Int32Array(buffer, 0, n));
      break;
    case 'U8':
      data.set(own);
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) data[i] = own[i] === 0 ? 0 : 1;
      break;
    case 'I8':
      data.set(new Int8Array(buffer, 0, n));
      break;
    case 'I16':
      data.set(new Int16Array(buffer, 0, n));
      break;
    case 'U16':
      data.set(new Uint16Array(buffer, 0, n));
      break;
    case 'U32': {
      const u = new Uint32Array(buffer, 0, n);
      for (let i = 0; i < n; i++) {
        if (u[i] > 0x7fffffff) throw tooBig(i, String(u[i]));
        data[i] = u[i];
      }
      break;
    }
    case 'I64':
    case 'U64': {
      // Two 32-bit words per value, low first: it fits when the high word is the low word's sign.
      const words = new Int32Array(buffer, 0, 2 * n);
      for (let i = 0; i < n; i++) {
        const lo = words[2 * i];
        const hi = words[2 * i + 1];
        if (hi !== (e.dtype === 'U64' ? 0 : lo >> 31) || (e.dtype === 'U64' && lo < 0)) {
          const big = new DataView(buffer);
          throw tooBig(i, String(e.dtype === 'U64' ? big.getBigUint64(8 * i, true) : big.getBigInt64(8 * i, true)));
        }
        data[i] = lo;
      }
      break;
    }
    case 'F16': {
      const h = new Uint16Array(buffer, 0, n);
      for (let i = 0; i < n; i++) data[i] = fromHalf(h[i]);
      break;
    }
    case 'BF16': {
      const h = new Uint16Array(buffer, 0, n);
      const f = new Float32Array(1);
      const u = new Uint32Array(f.buffer);
      for (let i = 0; i < n; i++) {
        u[0] = h[i] << 16;
        data[i] = f[0];
      }
      break;
    }
  }
  return new Tensor(data, e.shape);
}

function loadFrom(op: string, src: ByteSource): Record<string, Tensor> {
  const { headerBytes, entries } = readHeader(op, src);
  const start = 8 + headerBytes;
  const out: Record<string, Tensor> = {};
  // Python's safetensors hands tensors back by name.
  for (const e of [...entries].sort((a, b) => byCodePoint(a.name, b.name))) {
    out[e.name] = decode(op, src.name, e, src.read(start + e.begin, e.end - e.begin));
  }
  return out;
}

function bytesSource(op: string, bytes: Uint8Array): ByteSource {
  if (!(bytes instanceof Uint8Array))
    throw new Error(`${op}: expected a Uint8Array of the file's bytes, got ${bytes === null ? 'null' : typeof bytes}`);
  return { name: 'bytes', size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

function withFile<T>(op: string, path: string, fn: (src: ByteSource) => T): T {
  if (typeof path !== 'string' || path === '') throw new Error(`${op}: path must be a non-empty string, got ${JSON.stringify(path)}`);
  let file: ReturnType<typeof openForReading>;
  try {
    file = openForReading(path);
  } catch (e) {
    throw new Error(`${op}: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return fn({ name: path, size: file.size, read: file.read });
  } finally {
    file.close();
  }
}

/** The tensors of a safetensors file held in memory, by name (I64/U8/BOOL: see the docs). */
export function loadBytes(bytes: Uint8Array): Record<string, Tensor> {
  return loadFrom('loadBytes', bytesSource('loadBytes', bytes));
}

/** The tensors of a safetensors file, by name; the header is checked against the file's size before anything else is read. */
export function load(path: string): Record<string, Tensor> {
  return withFile('load', path, (src) => loadFrom('load', src));
}

/** The `__metadata__` strings of a safetensors file (a path or its bytes), reading only its header. */
export function loadMetadata(source: string | Uint8Array): Record<string, string> {
  if (typeof source === 'string') return withFile('loadMetadata', source, (src) => readHeader('loadMetadata', src).metadata);
  return readHeader('loadMetadata', bytesSource('loadMetadata', source)).metadata;
}
