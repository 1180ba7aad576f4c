/**
 * stridedCopy's float32 loop (src/kernels/js/movement.ts) against its shared loop on the same
 * values held in float64: transposes, flips (negative strides), slices (offsets), broadcasts (zero
 * strides), 0-d and empty shapes — the same elements, bit for bit.
 */
import * as tg from '../src';
import { stridedCopy } from '../src/kernels/js/movement';

const r = tg.rng('strided copy f32');
const randInt = (n: number) => Math.floor(r.next() * n);

function stridesOf(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1] * shape[d + 1];
  return s;
}

test('300 random views of a float32 buffer copy the elements the float64 loop copies', () => {
  for (let trial = 0; trial < 300; trial++) {
    const nd = 1 + randInt(4);
    const base = Array.from({ length: nd }, () => 1 + randInt(5));
    const size = base.reduce((a, b) => a * b, 1);
    const x32 = Float32Array.from({ length: size }, () => Math.fround(r.next() * 100 - 50));
    const x64 = Float64Array.from(x32);
    const perm = base.map((_, i) => i).sort(() => r.next() - 0.5);
    const strides0 = stridesOf(base);
    let shape = perm.map((p) => base[p]);
    let strides = perm.map((p) => strides0[p]);
    let offset = 0;
    // Flip an axis: start at its end, step backwards.
    const f = randInt(nd);
    offset += (shape[f] - 1) * strides[f];
    strides = strides.map((s, d) => (d === f ? -s : s));
    // Broadcast a new leading axis (stride 0), sometimes; slice one axis down by one, sometimes.
    if (r.next() < 0.5) {
      shape = [1 + randInt(3), ...shape];
      strides = [0, ...strides];
    }
    const g = randInt(shape.length);
    if (shape[g] > 1 && strides[g] !== 0 && r.next() < 0.5) {
      offset += strides[g];
      shape = shape.map((n, d) => (d === g ? n - 1 : n));
    }
    const n = shape.reduce((a, b) => a * b, 1);
    const a = stridedCopy(x32, offset, strides, shape, new Float32Array(n));
    const b = stridedCopy(x64, offset, strides, shape, new Float64Array(n));
    expect(Array.from(a)).toEqual(Array.from(b));
  }
});

test('an empty shape and a 0-d view', () => {
  expect(Array.from(stridedCopy(Float32Array.of(1, 2, 3), 0, [1, 0], [3, 0], new Float32Array(0)))).toEqual([]);
  expect(Array.from(stridedCopy(Float32Array.of(1, 2, 3), 2, [], [], new Float32Array(1)))).toEqual([3]);
});
