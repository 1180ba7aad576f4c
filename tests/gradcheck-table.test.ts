/**
 * The op table drives this file: every case is gradchecked at first and second order, and every
 * registered primitive must be covered by some case, so a new op cannot land without gradient tests.
 */
import * as tg from '../src';
import { opCases } from '../src/testing/op-cases';

const orders = opCases.flatMap((c) => ((c.order ?? 2) === 2 ? [[c, 1], [c, 2]] : [[c, 1]]) as [typeof c, 1 | 2][]);

describe('gradcheck over the op table', () => {
  test.each(orders.map(([c, order]) => [`${c.name} (order ${order})`, c, order] as const))('%s', (_name, c, order) => {
    const result = tg.gradcheck(c.fn, c.inputs(), { order });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
  });

  test('every registered primitive is covered by a case', () => {
    const covered = new Set(opCases.flatMap((c) => c.covers));
    const missing = tg.primitives().map((p) => p.name).filter((n) => !covered.has(n));
    expect(missing).toEqual([]);
  });

  test('every case covers only registered primitives', () => {
    const known = new Set(tg.primitives().map((p) => p.name));
    expect(opCases.flatMap((c) => c.covers).filter((n) => !known.has(n))).toEqual([]);
  });
});
