/**
 * Note [no static data in the kernels] (src/kernels/wasm/runtime.ts): a data segment in a kernel build
 * would be overwritten by the arena, so every build must have none; this fails the build that brings
 * one in (library Math with tables, a constant array), naming it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { WASM_FILES } from '../src/kernels/wasm/builds';

const DIR = path.join(__dirname, '..', 'src', 'kernels', 'wasm');
// Every build the runtime can load, so a new one is checked without being listed here.
const BUILDS = Object.values(WASM_FILES);

/** The ids of a module's sections, in order (the binary format's section headers). */
function sectionIds(bytes: Uint8Array): number[] {
  const magic = [0x00, 0x61, 0x73, 0x6d];
  if (bytes.length < 8 || magic.some((b, i) => bytes[i] !== b)) throw new Error('not a WebAssembly module');
  const ids: number[] = [];
  let p = 8;
  const leb = () => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[p++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    ids.push(id);
    p += size;
  }
  return ids;
}

const DATA = 11;
const DATA_COUNT = 12;

test.each(BUILDS)('%s has no static data (Note [no static data in the kernels])', (build) => {
  const ids = sectionIds(fs.readFileSync(path.join(DIR, build)));
  expect(ids.length).toBeGreaterThan(3);
  const data = ids.filter((id) => id === DATA || id === DATA_COUNT);
  if (data.length > 0) {
    throw new Error(
      `${build} has a data section: some kernel brought in static data (library Math with tables, a constant array), ` +
        'which the arena overwrites (Note [no static data in the kernels]); write it without tables',
    );
  }
});

test('the section reader finds a data section where there is one', () => {
  // (module (memory 1) (data (i32.const 0) "hi")): type-free, just a memory and one active segment.
  const withData = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x0b, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x68,
    0x69,
  ]);
  expect(WebAssembly.validate(withData)).toBe(true);
  expect(sectionIds(withData)).toEqual([5, DATA]);
  expect(() => sectionIds(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/not a WebAssembly module/);
});
