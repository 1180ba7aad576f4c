/**
 * Issue #31, item 7: async code keeps its modes. In Node, `noGrad(async () => …)`,
 * `enableGrad(async …)` and `detectAnomaly(async …)` hold their mode across awaits for their own
 * task (and the tasks it starts), and never lend it to unrelated tasks running meanwhile. Where
 * there is no AsyncLocalStorage (the browser build), a function that is async or returns a promise
 * is refused with a clear error (Note [async modes] in src/autograd/mode.ts).
 */
import * as tg from '../../src';
import { isAnomalyEnabled } from '../../src/autograd/anomaly';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

/** An unrelated task that records ops at every turn while `until` is pending; what it saw each time. */
async function bystander(w: tg.Tensor, until: Promise<unknown>): Promise<{ grad: boolean[]; anomaly: boolean[] }> {
  let done = false;
  void until.finally(() => (done = true)).catch(() => undefined);
  const seen = { grad: [] as boolean[], anomaly: [] as boolean[] };
  while (!done) {
    seen.grad.push(w.mul(2).requiresGrad && tg.isGradEnabled());
    seen.anomaly.push(isAnomalyEnabled());
    // NaN in an unrelated task is none of detectAnomaly's business.
    tg.log(tg.tensor([-1]));
    await tick();
  }
  return seen;
}

describe('in Node, the mode follows its own task across awaits', () => {
  test('noGrad(async) keeps recording off after each await; a task running meanwhile keeps recording', async () => {
    const w = tg.tensor([1, 2], { requiresGrad: true });
    const inside: boolean[] = [];
    const scoped = tg.noGrad(async () => {
      for (let i = 0; i < 5; i++) {
        await tick();
        inside.push(w.mul(2).requiresGrad, tg.isGradEnabled());
      }
      return w.mul(3);
    });
    const other = bystander(w, scoped);
    const y = await scoped;
    const seen = await other;
    expect(y.requiresGrad).toBe(false);
    expect(inside).toEqual(new Array(10).fill(false));
    expect(seen.grad.length).toBeGreaterThan(1);
    expect(seen.grad.every((g) => g)).toBe(true);
    expect(tg.isGradEnabled()).toBe(true);
    expect(w.mul(2).requiresGrad).toBe(true);
  });

  test('the tasks an async noGrad starts inherit it; enableGrad inside it turns recording back on for its own task', async () => {
    const w = tg.tensor([1], { requiresGrad: true });
    const [child, reenabled, after] = await tg.noGrad(async () => {
      const started = new Promise<boolean>((resolve) => setTimeout(() => resolve(w.mul(2).requiresGrad), 2));
      const again = tg.enableGrad(async () => {
        await tick();
        return w.mul(2).requiresGrad;
      });
      const r = [await started, await again];
      await tick();
      return [...r, tg.isGradEnabled()];
    });
    expect(child).toBe(false);
    expect(reenabled).toBe(true);
    expect(after).toBe(false);
  });

  test('detectAnomaly(async) catches a NaN made after an await in its own task, not one made by a task beside it', async () => {
    const z = tg.tensor([1, 0], { requiresGrad: true });
    const scoped = tg.detectAnomaly(async () => {
      await tick();
      await tick();
      expect(isAnomalyEnabled()).toBe(true);
      return tg.log(tg.sub(z, 1));
    });
    const other = bystander(z, scoped);
    await expect(scoped).rejects.toThrow(/^detectAnomaly: log \(inputs \[2\]\) produced -Infinity/);
    const seen = await other;
    expect(seen.anomaly.every((a) => !a)).toBe(true);
    expect(isAnomalyEnabled()).toBe(false);
  });

  test('two async scopes interleaved each keep their own mode', async () => {
    const w = tg.tensor([1], { requiresGrad: true });
    const record = (mode: typeof tg.noGrad) =>
      mode(async () => {
        const out: boolean[] = [];
        for (let i = 0; i < 4; i++) {
          await tick();
          out.push(w.mul(2).requiresGrad);
        }
        return out;
      });
    const [off, on] = await Promise.all([record(tg.noGrad), tg.noGrad(() => record(tg.enableGrad))]);
    expect(off).toEqual([false, false, false, false]);
    expect(on).toEqual([true, true, true, true]);
  });

  test('a synchronous noGrad still restores the mode when fn throws', () => {
    expect(() =>
      tg.noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(tg.isGradEnabled()).toBe(true);
  });
});

describe('without AsyncLocalStorage (the browser build), async functions are refused', () => {
  let mode: typeof import('../../src/autograd/mode');
  let anomaly: typeof import('../../src/autograd/anomaly');
  beforeAll(() => {
    jest.isolateModules(() => {
      jest.doMock('../../src/platform/async-scope', () => jest.requireActual('../../src/platform/async-scope.browser'));
      mode = require('../../src/autograd/mode');
      anomaly = require('../../src/autograd/anomaly');
    });
  });
  afterAll(() => jest.dontMock('../../src/platform/async-scope'));

  test('synchronous functions switch the mode and restore it', () => {
    expect(mode.noGrad(() => mode.isGradEnabled())).toBe(false);
    expect(mode.noGrad(() => mode.enableGrad(() => mode.isGradEnabled()))).toBe(true);
    expect(anomaly.detectAnomaly(() => anomaly.isAnomalyEnabled())).toBe(true);
    expect(mode.isGradEnabled()).toBe(true);
    expect(anomaly.isAnomalyEnabled()).toBe(false);
  });

  test('an async function is refused before it runs, naming the mode', () => {
    let ran = false;
    const fn = async () => {
      ran = true;
    };
    expect(() => mode.noGrad(fn)).toThrow(
      /^noGrad: this JavaScript runtime has no AsyncLocalStorage, so the mode cannot follow an async function/,
    );
    expect(() => anomaly.detectAnomaly(fn)).toThrow(/^detectAnomaly: this JavaScript runtime has no AsyncLocalStorage/);
    expect(ran).toBe(false);
    expect(mode.isGradEnabled()).toBe(true);
  });

  test('a function that returns a promise is refused, and the mode does not leak', async () => {
    expect(() => mode.enableGrad(() => mode.noGrad(() => tick()))).toThrow(/^noGrad: this JavaScript runtime has no AsyncLocalStorage/);
    await tick();
    expect(mode.isGradEnabled()).toBe(true);
  });
});
