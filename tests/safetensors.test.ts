/**
 * tg.save / tg.load / tg.saveBytes / tg.loadBytes: the safetensors format byte for byte (the
 * reference implementation's own test vectors, and files PyTorch writes), round trips, and every
 * malformed file refused with a message naming the file and the problem.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../src';
import { PY_SAFETENSORS } from './safetensors-python';
import { decodeTensor, encodeTensor, runTorch, TensorJson } from './torch-harness';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-safetensors-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const u64 = (n: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};

/** A file from a header object (or raw header text) and data bytes, padded as the writer pads. */
function file(header: object | string, data: Uint8Array = new Uint8Array(0), pad = true): Uint8Array {
  let h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  if (pad && h.length % 8 !== 0) {
    const padded = new Uint8Array(h.length + 8 - (h.length % 8)).fill(0x20);
    padded.set(h);
    h = padded;
  }
  return Uint8Array.from([...u64(h.length), ...h, ...data]);
}

describe('the layout is the reference implementation', () => {
  // These byte arrays are safetensors' own serialization tests (safetensors/src/tensor.rs).
  const values = tg.tensor([0, 1, 2, 3, 4, 5], { shape: [1, 2, 3] });

  test('one F32 tensor', () => {
    expect(Array.from(tg.saveBytes({ 'attn.0': values }))).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44,
      34, 115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34,
      58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  test('the header is padded with spaces to a multiple of 8', () => {
    expect(Array.from(tg.saveBytes({ attn0: values.reshape([1, 1, 2, 3]) }))).toEqual([
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34,
      115, 104, 97, 112, 101, 34, 58, 91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115,
      34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32, 32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128,
      64, 0, 0, 160, 64,
    ]);
  });

  test('no tensors, with and without metadata', () => {
    expect(Array.from(tg.saveBytes({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(tg.saveBytes({}, { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119,
      111, 114, 107, 34, 58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
  });

  test('tensors sorted by dtype (widest first), then by name in byte order; data aligned to its element size', () => {
    const bytes = tg.saveBytes({
      b: tg.tensor([1, 2, 3], { dtype: 'float32' }),
      a: tg.tensor([4], { dtype: 'float32' }),
      z: tg.tensor([5], { dtype: 'float64' }),
      é: tg.tensor([6], { dtype: 'float32' }),
      B: tg.tensor([7], { dtype: 'float32' }),
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header.trimEnd()).toBe(
      '{"z":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"B":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
        '"a":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},"b":{"dtype":"F32","shape":[3],"data_offsets":[16,28]},' +
        '"é":{"dtype":"F32","shape":[1],"data_offsets":[28,32]}}',
    );
    expect(new Float64Array(bytes.slice(8 + n, 16 + n).buffer)[0]).toBe(5);
    expect(bytes.length).toBe(8 + n + 32);
  });
});

describe('round trips', () => {
  test('F32 and F64, every shape, special values bit for bit, metadata', () => {
    const tensors = {
      f32: tg.tensor(
        [
          [1.5, -0, NaN],
          [Infinity, -Infinity, 3e-45],
        ],
        { dtype: 'float32' },
      ),
      f64: tg.tensor([Math.PI, -0, NaN, Number.MIN_VALUE, -Number.MAX_VALUE], { dtype: 'float64' }),
      scalar: tg.tensor(7),
      empty: tg.zeros([2, 0, 3]),
    };
    const back = tg.loadBytes(tg.saveBytes(tensors, { epoch: '3', note: 'ünï "q"' }));
    expect(Object.keys(back)).toEqual(['empty', 'f32', 'f64', 'scalar']);
    for (const [name, t] of Object.entries(tensors)) {
      expect(back[name].dtype).toBe(t.dtype);
      expect(back[name].shape).toEqual(t.shape);
      expect(Buffer.from(back[name].data.buffer, back[name].data.byteOffset, back[name].data.byteLength)).toEqual(
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      );
    }
    expect(tg.loadMetadata(tg.saveBytes(tensors, { epoch: '3', note: 'ünï "q"' }))).toEqual({ epoch: '3', note: 'ünï "q"' });
    expect(tg.loadMetadata(tg.saveBytes(tensors))).toEqual({});
  });

  test('tg.save writes the same bytes to a file, atomically, and tg.load reads them', () => {
    const p = path.join(dir, 'nested', 'w.safetensors');
    const tensors = {
      w: tg.tensor([
        [1, 2],
        [3, 4],
      ]),
      b: tg.tensor([0.5], { dtype: 'float64' }),
    };
    tg.save(p, tensors, { step: '10' });
    expect(new Uint8Array(fs.readFileSync(p))).toEqual(tg.saveBytes(tensors, { step: '10' }));
    const back = tg.load(p);
    expect(back.w.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(back.b.dtype).toBe('float64');
    expect(tg.loadMetadata(p)).toEqual({ step: '10' });
    // Saving again replaces the file whole and leaves no temporary file behind.
    tg.save(p, { w: tg.tensor([9]) });
    expect(tg.load(p).w.toArray()).toEqual([9]);
    expect(fs.readdirSync(path.dirname(p))).toEqual(['w.safetensors']);
  });

  test('a failed save leaves the previous file and no temporary file', () => {
    const sub = path.join(dir, 'failing');
    fs.mkdirSync(path.join(sub, 'taken.safetensors'), { recursive: true });
    fs.writeFileSync(path.join(sub, 'taken.safetensors', 'keep'), 'x');
    // The target is a non-empty folder: the rename fails after the temporary file is written.
    expect(() => tg.save(path.join(sub, 'taken.safetensors'), { w: tg.tensor([1]) })).toThrow();
    expect(fs.readdirSync(sub)).toEqual(['taken.safetensors']);
    expect(fs.readdirSync(path.join(sub, 'taken.safetensors'))).toEqual(['keep']);
  });

  test('F16 and BF16 load as float32', () => {
    // 1.0, -2.5, 65504, the smallest subnormal, -inf, NaN as halves; 1.0 and -3.0 as bfloat16.
    const half = new Uint16Array([0x3c00, 0xc100, 0x7bff, 0x0001, 0xfc00, 0x7e00]);
    const bf = new Uint16Array([0x3f80, 0xc040]);
    const data = new Uint8Array([...new Uint8Array(half.buffer), ...new Uint8Array(bf.buffer)]);
    const t = tg.loadBytes(
      file({ h: { dtype: 'F16', shape: [6], data_offsets: [0, 12] }, bf: { dtype: 'BF16', shape: [2], data_offsets: [12, 16] } }, data),
    );
    expect(t.h.dtype).toBe('float32');
    expect(Array.from(t.h.data)).toEqual([1, -2.5, 65504, 2 ** -24, -Infinity, NaN]);
    expect(Array.from(t.bf.data)).toEqual([1, -3]);
  });
});

describe('integer and boolean tensors', () => {
  test('int32 and bool round trip as I32 and BOOL, sorted after the floats', () => {
    const tensors = {
      count: tg.tensor([0, -1, 2147483647, -2147483648], { dtype: 'int32' }),
      mask: tg.tensor([true, false, true]),
      w: tg.tensor([1.5]),
    };
    const bytes = tg.saveBytes(tensors);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd()).toBe(
      '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"count":{"dtype":"I32","shape":[4],"data_offsets":[4,20]},' +
        '"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[20,23]}}',
    );
    const back = tg.loadBytes(bytes);
    expect([back.count.dtype, back.count.toArray()]).toEqual(['int32', [0, -1, 2147483647, -2147483648]]);
    expect([back.mask.dtype, Array.from(back.mask.data)]).toEqual(['bool', [1, 0, 1]]);
  });

  test('I64, U32 and U64 load as int32 when every value fits, and throw naming the value when one does not', () => {
    const i64 = new BigInt64Array([0n, -5n, 2147483647n, -2147483648n]);
    const t = tg.loadBytes(file({ n: { dtype: 'I64', shape: [2, 2], data_offsets: [0, 32] } }, new Uint8Array(i64.buffer)));
    expect([t.n.dtype, t.n.toArray()]).toEqual([
      'int32',
      [
        [0, -5],
        [2147483647, -2147483648],
      ],
    ]);
    const big = new BigInt64Array([1n, 2147483648n]);
    expect(() => tg.loadBytes(file({ n: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array(big.buffer)))).toThrow(
      "loadBytes: bytes: 'n' (I64) holds 2147483648 at index 1, which does not fit in an int32",
    );
    const negative = new BigInt64Array([-2147483649n]);
    expect(() => tg.loadBytes(file({ n: { dtype: 'I64', shape: [], data_offsets: [0, 8] } }, new Uint8Array(negative.buffer)))).toThrow(
      "'n' (I64) holds -2147483649 at index 0",
    );
    const u64 = new BigUint64Array([7n, 2n ** 63n]);
    expect(() => tg.loadBytes(file({ n: { dtype: 'U64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array(u64.buffer)))).toThrow(
      "'n' (U64) holds 9223372036854775808 at index 1",
    );
    const u32 = new Uint32Array([3, 4294967295]);
    expect(() => tg.loadBytes(file({ n: { dtype: 'U32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(u32.buffer)))).toThrow(
      "'n' (U32) holds 4294967295 at index 1",
    );
  });

  test('U8, I8, I16 and U16 load as int32; a BOOL byte other than 0 is true', () => {
    const t = tg.loadBytes(
      file(
        {
          u8: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
          i8: { dtype: 'I8', shape: [2], data_offsets: [2, 4] },
          i16: { dtype: 'I16', shape: [2], data_offsets: [4, 8] },
          u16: { dtype: 'U16', shape: [2], data_offsets: [8, 12] },
          b: { dtype: 'BOOL', shape: [2], data_offsets: [12, 14] },
        },
        Uint8Array.from([255, 7, 255, 7, 0xff, 0xff, 2, 0, 0xff, 0xff, 2, 0, 0, 9]),
      ),
    );
    expect([t.u8.dtype, t.u8.toArray()]).toEqual(['int32', [255, 7]]);
    expect(t.i8.toArray()).toEqual([-1, 7]);
    expect(t.i16.toArray()).toEqual([-1, 2]);
    expect(t.u16.toArray()).toEqual([65535, 2]);
    expect([t.b.dtype, Array.from(t.b.data)]).toEqual(['bool', [0, 1]]);
  });
});

describe('interop with PyTorch (the format written and read by hand in Python)', () => {
  test('a file PyTorch writes is byte for byte the file tg.saveBytes writes, and loads back the same values', () => {
    const r = runTorch<{ bytes: string; tensors: Record<string, TensorJson> }>(
      PY_SAFETENSORS +
        `
g = torch.Generator().manual_seed(0)
t = {'layer.weight': torch.randn(3, 4, generator=g, dtype=torch.float32), 'layer.bias': torch.randn(3, generator=g, dtype=torch.float32),
     'w64': torch.randn(2, 2, generator=g, dtype=torch.float64), 'scalar': torch.tensor(2.5, dtype=torch.float32),
     'special': torch.tensor([float('nan'), float('inf'), -0.0], dtype=torch.float64),
     'labels': torch.tensor([3, -1, 2**31 - 1], dtype=torch.int32), 'mask': torch.tensor([True, False])}
emit({'bytes': b64(st_dumps(t, {'framework': 'pt'})), 'tensors': t})
`,
    );
    const fromTorch = new Uint8Array(Buffer.from(r.bytes, 'base64'));
    const loaded = tg.loadBytes(fromTorch);
    const expected = Object.fromEntries(Object.entries(r.tensors).map(([k, j]) => [k, decodeTensor(j)]));
    for (const [k, t] of Object.entries(expected)) {
      expect(loaded[k].dtype).toBe(t.dtype);
      expect(loaded[k].shape).toEqual(t.shape);
      expect(Array.from(loaded[k].data)).toEqual(Array.from(t.data));
    }
    expect([loaded.labels.dtype, loaded.mask.dtype]).toEqual(['int32', 'bool']);
    expect(Object.is(loaded.special.data[2], -0)).toBe(true);
    expect(text(tg.saveBytes(expected, { framework: 'pt' }))).toBe(text(fromTorch));
  });

  test("PyTorch's int64 tensors (num_batches_tracked) and uint8 tensors load as int32", () => {
    const r = runTorch<{ bytes: string }>(
      PY_SAFETENSORS +
        `
emit({'bytes': b64(st_dumps({'bn.num_batches_tracked': torch.tensor(12345), 'pixels': torch.tensor([0, 128, 255], dtype=torch.uint8),
      'big': torch.tensor([2**40])}))})
`,
    );
    const bytes = new Uint8Array(Buffer.from(r.bytes, 'base64'));
    expect(() => tg.loadBytes(bytes)).toThrow(
      "loadBytes: bytes: 'big' (I64) holds 1099511627776 at index 0, which does not fit in an int32",
    );
    const withoutBig = runTorch<{ bytes: string }>(
      PY_SAFETENSORS +
        `emit({'bytes': b64(st_dumps({'bn.num_batches_tracked': torch.tensor(12345), 'pixels': torch.tensor([0, 128, 255], dtype=torch.uint8)}))})`,
    );
    const t = tg.loadBytes(new Uint8Array(Buffer.from(withoutBig.bytes, 'base64')));
    expect([t['bn.num_batches_tracked'].dtype, t['bn.num_batches_tracked'].shape, t['bn.num_batches_tracked'].item()]).toEqual([
      'int32',
      [],
      12345,
    ]);
    expect([t.pixels.dtype, t.pixels.toArray()]).toEqual(['int32', [0, 128, 255]]);
  });

  test('PyTorch reads what tg.saveBytes writes', () => {
    const tensors = {
      'conv.weight': tg.randn([2, 1, 3, 3], { rng: tg.rng(1) }),
      'fc.bias': tg.randn([5], { rng: tg.rng(2), dtype: 'float64' }),
      odd: tg.tensor([NaN, -Infinity, -0], { dtype: 'float32' }),
      labels: tg.tensor([1, -2, 3], { dtype: 'int32' }),
      mask: tg.tensor([false, true]),
    };
    const r = runTorch<{ tensors: Record<string, TensorJson>; meta: Record<string, string> }>(
      PY_SAFETENSORS +
        `
t, meta = st_loads(unb64(job['bytes']))
emit({'tensors': t, 'meta': meta})
`,
      { bytes: Buffer.from(tg.saveBytes(tensors, { who: 'tapegrad' })).toString('base64') },
    );
    expect(r.meta).toEqual({ who: 'tapegrad' });
    for (const [k, t] of Object.entries(tensors)) expect(r.tensors[k]).toEqual(encodeTensor(t));
  });
});

describe('malformed files are refused, naming the file and the problem', () => {
  const ok = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const eight = new Uint8Array(8);

  test.each([
    [
      'fewer than 8 bytes',
      new Uint8Array(5),
      /loadBytes: bytes is not a valid safetensors file: only 5 bytes, but the file starts with an 8-byte header length/,
    ],
    [
      'a header length past the end',
      Uint8Array.from([...u64(1000), 123, 125]),
      /the header length 1000 runs past the end of the file \(10 bytes\)/,
    ],
    [
      'a header length of 2^64 - 1',
      Uint8Array.from([...new Uint8Array(8).fill(255), 123, 125]),
      /the header length 18446744073709551615 runs past the end/,
    ],
    ['invalid UTF-8', Uint8Array.from([...u64(2), 0xff, 0xfe]), /the header is not valid UTF-8/],
    ['bad JSON', file('{"w": {"dtype": "F32",'), /the header is not valid JSON/],
    ['a JSON array', file('[1,2]'), /the header is not a JSON object/],
    [
      'an unknown dtype',
      file({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16)),
      /'w' has unknown dtype "F128"/,
    ],
    [
      'a bad shape',
      file({ w: { dtype: 'F32', shape: [2, -1], data_offsets: [0, 8] } }, eight),
      /'w' has shape \[2,-1\], not a list of sizes/,
    ],
    [
      'bad offsets',
      file({ w: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, eight),
      /'w' has data_offsets \[8,0\], not a \[begin, end\] byte range/,
    ],
    [
      'shape × dtype ≠ range',
      file({ w: { dtype: 'F64', shape: [2], data_offsets: [0, 8] } }, eight),
      /'w' has shape \[2\] of F64 \(16 bytes\) but data_offsets \[0,8\] hold 8 bytes/,
    ],
    [
      'a huge declared shape',
      file({ w: { dtype: 'F32', shape: [1e12, 1e12], data_offsets: [0, 8] } }, eight),
      /'w' declares shape \[1000000000000,1000000000000\] of F32, too large to hold/,
    ],
    [
      'offsets past the end (truncated data)',
      file(ok, new Uint8Array(4)),
      /'w' \(bytes 0\.\.8\) runs past the end of the data \(4 bytes; truncated\?\)/,
    ],
    ['bytes left over', file(ok, new Uint8Array(12)), /the tensors end at byte 8 of the data but the data holds 12 bytes/],
    [
      'overlapping ranges',
      file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight),
      /'b' \(bytes 4\.\.8\) overlaps the tensor before it, which ends at 8/,
    ],
    [
      'a hole',
      file(
        { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } },
        new Uint8Array(12),
      ),
      /a hole: bytes 4\.\.8 of the data belong to no tensor \('b' starts at 8\)/,
    ],
    [
      'a duplicate name',
      file(
        '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
        new Uint8Array(4),
      ),
      /the name 'w' appears twice in the header/,
    ],
    ['a non-string metadata value', file({ __metadata__: { epoch: 3 } }), /__metadata__ 'epoch' is not a string/],
    ['an entry that is not an object', file({ w: 3 }), /the entry for 'w' is not an object/],
  ])('%s', (_what, bytes, message) => {
    expect(() => tg.loadBytes(bytes)).toThrow(message);
  });

  test('a known dtype tapegrad cannot hold names the tensor', () => {
    expect(() => tg.loadBytes(file({ q: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)))).toThrow(
      /loadBytes: bytes: 'q' has dtype F8_E4M3, which tapegrad cannot load/,
    );
  });

  test('tg.load and tg.loadMetadata name the file; a missing file or a folder is refused', () => {
    const p = path.join(dir, 'bad.safetensors');
    fs.writeFileSync(p, file({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, eight));
    expect(() => tg.load(p)).toThrow(
      `load: ${p} is not a valid safetensors file: 'w' (bytes 0..16) runs past the end of the data (8 bytes; truncated?)`,
    );
    expect(() => tg.load(path.join(dir, 'missing.safetensors'))).toThrow(/load: cannot read .*missing\.safetensors: ENOENT/);
    expect(() => tg.load(dir)).toThrow(/load: cannot read .*: not a regular file/);
    expect(() => tg.loadMetadata(p)).toThrow(/loadMetadata: .*bad\.safetensors is not a valid safetensors file/);
  });

  test('bad arguments to the writers and readers', () => {
    expect(() => tg.saveBytes({ w: [1, 2] as unknown as tg.Tensor })).toThrow("saveBytes: 'w' is not a tensor (got object)");
    expect(() => tg.saveBytes({ __metadata__: tg.tensor([1]) })).toThrow(/saveBytes: '__metadata__' is reserved/);
    expect(() => tg.saveBytes({}, { epoch: 3 as unknown as string })).toThrow("saveBytes: metadata 'epoch' must be a string, got number");
    expect(() => tg.save('', {})).toThrow('save: path must be a non-empty string, got ""');
    expect(() => tg.loadBytes('abc' as unknown as Uint8Array)).toThrow("loadBytes: expected a Uint8Array of the file's bytes, got string");
  });
});
