/**
 * The op table drives this file: every case is gradchecked at first and second order, and every
 * registered primitive must be covered by some case, so a new op cannot land without gradient tests.
 */
import * as tg from '../src';
import { PRIMITIVE_NAMES } from '../src/ops/names';
import { primitivesUsed } from '../src/testing/op-coverage';
import { PRIMITIVE_CASES } from '../src/testing/primitive-cases';
import { PRIMITIVE_METHODS, TENSOR_METHODS } from '../src/ops/tensor-methods';
import { opCases } from '../src/testing/op-cases';

const orders = opCases.flatMap(
  (c) =>
    ((c.order ?? 2) === 2
      ? [
          [c, 1],
          [c, 2],
        ]
      : [[c, 1]]) as [typeof c, 1 | 2][],
);

describe('gradcheck over the op table', () => {
  test.each(orders.map(([c, order]) => [`${c.name} (order ${order})`, c, order] as const))('%s', (_name, c, order) => {
    const result = tg.gradcheck(c.fn, c.inputs(), { order });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
  });

  // Measured, not declared: the primitives each case's graphs (forward, and the backward recorded
  // under createGraph) really contain.
  const measured = new Map(opCases.map((c) => [c, primitivesUsed(c)] as const));

  test('every registered primitive is exercised by some case', () => {
    const covered = new Set([...measured.values()].flatMap((s) => [...s]));
    const missing = tg
      .primitives()
      .map((p) => p.name)
      .filter((n) => !covered.has(n));
    expect(missing).toEqual([]);
  });

  test("each primitive's own case (PRIMITIVE_CASES, checked by the compiler) exists and really runs it", () => {
    const wrong: string[] = [];
    for (const [primitive, name] of Object.entries(PRIMITIVE_CASES)) {
      const c = opCases.find((x) => x.name === name);
      if (c === undefined) wrong.push(`${primitive}: no case '${name}'`);
      else if (!measured.get(c)!.has(primitive)) wrong.push(`${primitive}: case '${name}' does not run it`);
    }
    expect(wrong).toEqual([]);
  });

  test("every Tensor method of the one table is installed, and each primitive's method is one of them", () => {
    const proto = tg.Tensor.prototype as unknown as Record<string, unknown>;
    expect(Object.keys(TENSOR_METHODS).filter((m) => typeof proto[m] !== 'function')).toEqual([]);
    const named = Object.values(PRIMITIVE_METHODS as Record<string, string | { none: string }>).filter(
      (m): m is string => typeof m === 'string',
    );
    expect(named.filter((m) => typeof proto[m] !== 'function')).toEqual([]);
    expect(named.length).toBeGreaterThan(50);
  });

  test("PRIMITIVE_NAMES, the union the ops are typed with, is exactly the registry of tapegrad's own primitives", () => {
    // Only tapegrad's own are registered here: no test file in this process defines one.
    expect([...PRIMITIVE_NAMES].sort()).toEqual(
      tg
        .primitives()
        .map((p) => p.name)
        .sort(),
    );
  });

  test('the measurement sees backward-only primitives and nothing a case does not use', () => {
    const conv = [...measured.entries()].find(([c]) => c.name.startsWith('conv2d'))![1];
    // conv2d's backward is convTranspose2d and conv2dWeight; its second order runs their rules too.
    expect([...conv]).toEqual(expect.arrayContaining(['conv2d', 'convTranspose2d', 'conv2dWeight']));
    const neg = [...measured.entries()].find(([c]) => c.name === 'neg')![1];
    expect([...neg].sort()).toEqual(['neg']);
  });
});
