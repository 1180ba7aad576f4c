/**
 * @file The WebAssembly LSTM sequence kernels (assembly/recurrent.ts, src/kernels/wasm/recurrent.ts)
 * in float32 against an independent float64 reference loop written here from PyTorch's equations, on
 * 1 and 3 threads, for batches of 1, odd sizes, fewer rows than threads and hidden sizes that are not
 * a multiple of the SIMD width; the float32 exp/sigmoid/tanh they use (Note [float32 exp without
 * tables]) against Math's in float64, on the threaded and the serial instance; and the choice between
 * WebAssembly and TypeScript at the threshold (Note [LSTM sequence threshold]), with a spy.
 */
import { jsKernels, Kernels, kernels, useKernels } from '../src/kernels';
import { createWasmKernels, WASM_SEQUENCE_MIN } from '../src/kernels/wasm/backend';
import * as recurrent from '../src/kernels/wasm/recurrent';
import { Arena, loadRuntime, Runtime } from '../src/kernels/wasm/runtime';
import * as tg from '../src';

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** Seeded values in [−scale, scale). */
function values(n: number, seed: number, scale = 1): Float64Array {
  const r = tg.rng(`lstm-wasm:${seed}`);
  return Float64Array.from(tg.rand([n], { rng: r, dtype: 'float64' }).data, (v) => (2 * v - 1) * scale);
}

/** The LSTM over T steps and its backward, float64, from the equations (no code shared with src/). */
function reference(
  gx: Float64Array,
  w: Float64Array,
  h0: Float64Array,
  c0: Float64Array,
  gy: Float64Array,
  T: number,
  B: number,
  H: number,
) {
  const G = 4 * H;
  const y = new Float64Array((T + 1) * B * H);
  const acts = new Float64Array(T * B * G);
  const cs = new Float64Array((T + 1) * B * H);
  const hs = new Float64Array((T + 1) * B * H);
  hs.set(h0);
  cs.set(c0);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < G; j++) {
        let s = gx[(t * B + b) * G + j];
        for (let p = 0; p < H; p++) s += hs[(t * B + b) * H + p] * w[j * H + p];
        acts[(t * B + b) * G + j] = Math.floor(j / H) === 2 ? Math.tanh(s) : sig(s);
      }
      for (let j = 0; j < H; j++) {
        const a = (k: number) => acts[(t * B + b) * G + k * H + j];
        const c = a(1) * cs[(t * B + b) * H + j] + a(0) * a(2);
        cs[((t + 1) * B + b) * H + j] = c;
        hs[((t + 1) * B + b) * H + j] = a(3) * Math.tanh(c);
      }
    }
  }
  y.set(hs.subarray(B * H));
  y.set(cs.subarray(T * B * H), T * B * H);
  const gGates = new Float64Array(T * B * G);
  const dh = new Float64Array(B * H);
  const dc = Float64Array.from(gy.subarray(T * B * H));
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const a = (k: number) => acts[(t * B + b) * G + k * H + j];
        const tc = Math.tanh(cs[((t + 1) * B + b) * H + j]);
        const gh = gy[(t * B + b) * H + j] + dh[b * H + j];
        const d = dc[b * H + j] + gh * a(3) * (1 - tc * tc);
        const at = (k: number) => (t * B + b) * G + k * H + j;
        gGates[at(0)] = d * a(2) * a(0) * (1 - a(0));
        gGates[at(1)] = d * cs[(t * B + b) * H + j] * a(1) * (1 - a(1));
        gGates[at(2)] = d * a(0) * (1 - a(2) * a(2));
        gGates[at(3)] = gh * tc * a(3) * (1 - a(3));
        dc[b * H + j] = d * a(1);
      }
    }
    dh.fill(0);
    for (let b = 0; b < B; b++) {
      for (let p = 0; p < H; p++) {
        let s = 0;
        for (let j = 0; j < G; j++) s += gGates[(t * B + b) * G + j] * w[j * H + p];
        dh[b * H + p] = s;
      }
    }
  }
  return { y, gGates, gh0: dh, gc0: dc };
}

/** max |a − b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 1e-300;
  let err = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  return err / scale;
}

async function wasmRuntime(threads: number): Promise<Runtime> {
  const { runtime, reason } = loadRuntime({ threads, allowRelaxed: true });
  if (runtime === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
  const deadline = Date.now() + 20_000;
  while (runtime.pool.ready < threads - 1) {
    if (Date.now() > deadline) throw new Error(`the ${threads - 1} kernel workers did not start within 20 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return runtime;
}

/** The GRU over T steps and its backward, float64, from PyTorch's equations. */
function gruReference(
  gi: Float64Array,
  w: Float64Array,
  bhh: Float64Array,
  h0: Float64Array,
  gy: Float64Array,
  T: number,
  B: number,
  H: number,
) {
  const G = 3 * H;
  const hs = new Float64Array((T + 1) * B * H);
  hs.set(h0);
  const gh = new Float64Array(T * B * G);
  const act = new Float64Array(T * B * G);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < G; j++) {
        let s = bhh[j];
        for (let p = 0; p < H; p++) s += hs[(t * B + b) * H + p] * w[j * H + p];
        gh[(t * B + b) * G + j] = s;
      }
      for (let j = 0; j < H; j++) {
        const at = (k: number) => (t * B + b) * G + k * H + j;
        const r = sig(gi[at(0)] + gh[at(0)]);
        const z = sig(gi[at(1)] + gh[at(1)]);
        const n = Math.tanh(gi[at(2)] + r * gh[at(2)]);
        [act[at(0)], act[at(1)], act[at(2)]] = [r, z, n];
        hs[((t + 1) * B + b) * H + j] = (1 - z) * n + z * hs[(t * B + b) * H + j];
      }
    }
  }
  const ggi = new Float64Array(T * B * G);
  const ggh = new Float64Array(T * B * G);
  let carry = new Float64Array(B * H);
  for (let t = T - 1; t >= 0; t--) {
    const next = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const at = (k: number) => (t * B + b) * G + k * H + j;
        const [r, z, n] = [act[at(0)], act[at(1)], act[at(2)]];
        const d = gy[(t * B + b) * H + j] + carry[b * H + j];
        const an = d * (1 - z) * (1 - n * n);
        const ar = an * gh[at(2)] * r * (1 - r);
        const az = d * (hs[(t * B + b) * H + j] - n) * z * (1 - z);
        [ggi[at(0)], ggi[at(1)], ggi[at(2)]] = [ar, az, an];
        [ggh[at(0)], ggh[at(1)], ggh[at(2)]] = [ar, az, an * r];
        next[b * H + j] = d * z;
      }
      for (let p = 0; p < H; p++) {
        let s = 0;
        for (let j = 0; j < G; j++) s += ggh[(t * B + b) * G + j] * w[j * H + p];
        next[b * H + p] += s;
      }
    }
    carry = next;
  }
  return { y: hs.slice(B * H), ggi, ggh, gh0: carry };
}

const forwardSpy = jest.spyOn(recurrent, 'lstmSequenceForwardWasm');
const gruForwardSpy = jest.spyOn(recurrent, 'gruSequenceForwardWasm');
const gruBackwardSpy = jest.spyOn(recurrent, 'gruSequenceBackwardWasm');
const backwardSpy = jest.spyOn(recurrent, 'lstmSequenceBackwardWasm');
const threshold = WASM_SEQUENCE_MIN.lstmMacs;
afterEach(() => {
  WASM_SEQUENCE_MIN.lstmMacs = threshold;
  forwardSpy.mockClear();
  backwardSpy.mockClear();
  gruForwardSpy.mockClear();
  gruBackwardSpy.mockClear();
});

/** Runs the GRU kernels forward and backward on k in float32, and the float64 reference. */
function runGru(k: Kernels, T: number, B: number, H: number, seed: number) {
  const G = 3 * H;
  const f32 = (x: Float64Array) => Float32Array.from(x);
  const [gi, w, bhh, h0, gy] = [
    f32(values(T * B * G, seed, 2)),
    f32(values(G * H, seed + 1, 1 / Math.sqrt(H))),
    f32(values(G, seed + 2)),
    f32(values(B * H, seed + 3)),
    f32(values(T * B * H, seed + 4)),
  ];
  const y = new Float32Array(T * B * H);
  const saved = new Float32Array(4 * T * B * H);
  k.gruSequenceForward(gi, w, bhh, h0, T, B, H, y, saved);
  const ggi = new Float32Array(T * B * G);
  const ggh = new Float32Array(T * B * G);
  const gh0 = new Float32Array(B * H);
  k.gruSequenceBackward(gy, saved, y, h0, w, T, B, H, ggi, ggh, gh0);
  const f64 = (x: Float32Array) => Float64Array.from(x);
  return { got: { y, ggi, ggh, gh0 }, want: gruReference(f64(gi), f64(w), f64(bhh), f64(h0), f64(gy), T, B, H) };
}

/** Runs forward and backward on kernels k in float32. */
function run(k: Kernels, T: number, B: number, H: number, seed: number) {
  const G = 4 * H;
  const gx = values(T * B * G, seed, 2);
  const w = values(G * H, seed + 1, 1 / Math.sqrt(H));
  const h0 = values(B * H, seed + 2);
  const c0 = values(B * H, seed + 3);
  const gy = values((T + 1) * B * H, seed + 4);
  const f32 = (x: Float64Array) => Float32Array.from(x);
  const y = new Float32Array((T + 1) * B * H);
  const saved = new Float32Array(5 * T * B * H);
  k.lstmSequenceForward(f32(gx), f32(w), f32(h0), f32(c0), T, B, H, y, saved);
  const gGates = new Float32Array(T * B * G);
  const gh0 = new Float32Array(B * H);
  const gc0 = new Float32Array(B * H);
  k.lstmSequenceBackward(f32(gy), saved, f32(w), f32(c0), T, B, H, gGates, gh0, gc0);
  // The reference starts from the float32-rounded inputs, so only the kernels' own rounding differs.
  const want = reference(
    Float64Array.from(f32(gx)),
    Float64Array.from(f32(w)),
    Float64Array.from(f32(h0)),
    Float64Array.from(f32(c0)),
    Float64Array.from(f32(gy)),
    T,
    B,
    H,
  );
  return { got: { y, gGates, gh0, gc0 }, want };
}

describe.each([1, 3])('WebAssembly on %i thread(s)', (threads) => {
  let rt: Runtime;
  let k: Kernels;
  beforeAll(async () => {
    rt = await wasmRuntime(threads);
    k = createWasmKernels(rt, jsKernels);
  });

  test.each([
    ['batch 1', 5, 1, 16],
    ['odd batch, odd hidden size', 4, 7, 13],
    ['fewer rows than threads', 3, 2, 32],
    ['hidden size 1', 6, 5, 1],
    ['one step, batch of 9, H = 128 (above the parallel threshold)', 1, 9, 128],
    ['4 steps, batch of 9, H = 128 (above the parallel threshold)', 4, 9, 128],
  ])('%s: T=%i B=%i H=%i within 5e-6 of the float64 reference', (_name, T, B, H) => {
    WASM_SEQUENCE_MIN.lstmMacs = 0;
    const published = rt.pool.published;
    const { got, want } = run(k, T, B, H, T * 100 + B * 10 + H);
    expect(forwardSpy).toHaveBeenCalledTimes(1);
    expect(backwardSpy).toHaveBeenCalledTimes(1);
    for (const key of ['y', 'gGates', 'gh0', 'gc0'] as const) expect(relErr(got[key], want[key])).toBeLessThan(5e-6);
    // Above the parallel threshold the rows really split over the workers (forward and backward).
    const parallel = threads > 1 && B > 4 && recurrent.lstmSequenceMacs(T, B, H) >= 1 << 21;
    expect(rt.pool.published - published).toBe(parallel ? 2 : 0);
  });

  test.each([
    ['batch 1', 5, 1, 16],
    ['odd batch, odd hidden size', 4, 7, 13],
    ['fewer rows than threads', 3, 2, 32],
    ['hidden size 1', 6, 5, 1],
    ['4 steps, batch of 9, H = 128 (above the parallel threshold)', 4, 9, 128],
  ])('GRU, %s: T=%i B=%i H=%i within 5e-6 of the float64 reference', (_name, T, B, H) => {
    WASM_SEQUENCE_MIN.lstmMacs = 0;
    const published = rt.pool.published;
    const { got, want } = runGru(k, T, B, H, T * 100 + B * 10 + H + 5);
    expect(gruForwardSpy).toHaveBeenCalledTimes(1);
    expect(gruBackwardSpy).toHaveBeenCalledTimes(1);
    for (const key of ['y', 'ggi', 'ggh', 'gh0'] as const) expect(relErr(got[key], want[key])).toBeLessThan(5e-6);
    const parallel = threads > 1 && B > 4 && recurrent.gruSequenceMacs(T, B, H) >= 1 << 21;
    expect(rt.pool.published - published).toBe(parallel ? 2 : 0);
  });

  test.each([
    ['one below the call: WebAssembly', -1, true],
    ['at the call: WebAssembly', 0, true],
    ['one above the call: TypeScript', 1, false],
  ])('GRU threshold %s', (_name, offset, wasm) => {
    const [T, B, H] = [3, 5, 8];
    WASM_SEQUENCE_MIN.lstmMacs = recurrent.gruSequenceMacs(T, B, H) + offset;
    const { got, want } = runGru(k, T, B, H, 12);
    expect(gruForwardSpy).toHaveBeenCalledTimes(wasm ? 1 : 0);
    expect(gruBackwardSpy).toHaveBeenCalledTimes(wasm ? 1 : 0);
    expect(relErr(got.y, want.y)).toBeLessThan(5e-6);
  });

  test('the same numbers as the TypeScript kernel in float32, to float32 rounding', () => {
    WASM_SEQUENCE_MIN.lstmMacs = 0;
    const { got } = run(k, 3, 6, 12, 7);
    WASM_SEQUENCE_MIN.lstmMacs = Infinity;
    const { got: ts } = run(k, 3, 6, 12, 7);
    for (const key of ['y', 'gGates', 'gh0', 'gc0'] as const) expect(relErr(got[key], ts[key])).toBeLessThan(5e-6);
  });

  test.each([
    ['one below the call: WebAssembly', -1, true],
    ['at the call: WebAssembly', 0, true],
    ['one above the call: TypeScript', 1, false],
  ])('threshold %s', (_name, offset, wasm) => {
    const [T, B, H] = [3, 5, 8];
    WASM_SEQUENCE_MIN.lstmMacs = recurrent.lstmSequenceMacs(T, B, H) + offset;
    const { got, want } = run(k, T, B, H, 11);
    expect(forwardSpy).toHaveBeenCalledTimes(wasm ? 1 : 0);
    expect(backwardSpy).toHaveBeenCalledTimes(wasm ? 1 : 0);
    expect(relErr(got.y, want.y)).toBeLessThan(5e-6);
  });

  test('nn.LSTM in float32 (2 layers, bidirectional) runs it and stays within 1e-5 of the same layer in float64', () => {
    const before = kernels();
    useKernels(k);
    try {
      const m32 = new tg.nn.LSTM(10, 24, { numLayers: 2, bidirectional: true, rng: tg.rng('lstm-wasm:layer') });
      const m64 = new tg.nn.LSTM(10, 24, { numLayers: 2, bidirectional: true, rng: tg.rng('lstm-wasm:layer'), dtype: 'float64' });
      const x = tg.randn([7, 6, 10], { rng: tg.rng('lstm-wasm:x'), dtype: 'float64' });
      const run = (m: tg.nn.LSTM, input: tg.Tensor) => {
        const [out, [h, c]] = m.forward(input);
        tg.sum(tg.mul(out, out)).add(tg.sum(h)).add(tg.sum(c)).backward();
        return [out, h, c, ...m.parameters().map((p) => p.grad!)];
      };
      const got = run(m32, x.cast('float32'));
      expect(forwardSpy).toHaveBeenCalledTimes(4);
      expect(backwardSpy).toHaveBeenCalledTimes(4);
      const want = run(m64, x);
      got.forEach((a, i) => expect(relErr(a.data, want[i].data)).toBeLessThan(1e-5));
    } finally {
      useKernels(before);
    }
  });

  test('float64 calls never go to WebAssembly', () => {
    WASM_SEQUENCE_MIN.lstmMacs = 0;
    const [T, B, H] = [2, 3, 4];
    const y = new Float64Array((T + 1) * B * H);
    k.lstmSequenceForward(values(T * B * 4 * H, 1), values(4 * H * H, 2), values(B * H, 3), values(B * H, 4), T, B, H, y, null);
    expect(forwardSpy).not.toHaveBeenCalled();
  });
});

describe('float32 exp, sigmoid and tanh without tables (Note [float32 exp without tables])', () => {
  const xs = Float32Array.from({ length: 4001 }, (_, i) => -90 + (180 * i) / 4000);
  const extra = Float32Array.from([0, -0, 1e-6, -1e-6, 0.5, -0.5, 20, -20, 1e-30]);
  const all = Float32Array.from([...xs, ...extra]);

  /** op 0 exp, 1 sigmoid, 2 tanh of `all`, on one arena's instance. */
  function activations(arena: Arena, op: number): Float32Array {
    arena.reset();
    const px = arena.reserve(4 * all.length);
    const py = arena.reserve(4 * all.length);
    arena.f32.set(all, px >> 2);
    arena.exports.lstmActivation(op, px, py, all.length);
    return arena.f32.slice(py >> 2, (py >> 2) + all.length);
  }

  test.each(['threaded', 'serial'] as const)('on the %s instance, within the stated bounds of Math in float64', async (which) => {
    const rt = await wasmRuntime(1);
    expect(rt.serial).not.toBe(rt);
    const arena = which === 'threaded' ? rt : rt.serial;
    const exp = activations(arena, 0);
    const s = activations(arena, 1);
    const t = activations(arena, 2);
    let expErr = 0;
    let sigErr = 0;
    let tanhErr = 0;
    all.forEach((x, i) => {
      // exp's relative error where exp(x) is a normal float32 (x ≥ −87.3; below that it clamps to 2^-126).
      if (x >= -87.3 && x <= 88) expErr = Math.max(expErr, Math.abs(exp[i] - Math.exp(x)) / Math.exp(x));
      sigErr = Math.max(sigErr, Math.abs(s[i] - sig(x)));
      tanhErr = Math.max(tanhErr, Math.abs(t[i] - Math.tanh(x)));
    });
    expect(expErr).toBeLessThan(1.5e-7);
    expect(sigErr).toBeLessThan(1.5e-7);
    expect(tanhErr).toBeLessThan(2.5e-7);
    expect(exp[all.length - 9]).toBe(1);
    expect(s[all.length - 9]).toBe(0.5);
    expect(t[all.length - 9]).toBe(0);
  });
});
