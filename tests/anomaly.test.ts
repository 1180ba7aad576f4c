/**
 * tg.detectAnomaly blames the producer (issue #32, Note [blame the producer] in src/autograd/anomaly.ts):
 * the op whose forward output first holds NaN/Inf is named — not the op that received it, nor the
 * backward rule that met it — and the creation stack reaches the user's own line (Note [the user's line]).
 */
import * as tg from '../src';

const f64 = (data: number[], shape?: number[], requiresGrad = true, name?: string) =>
  tg.tensor(data, { shape, dtype: 'float64', requiresGrad, name });

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('did not throw');
}

/** The user's own code, a few calls deep, ending in a composite op (crossEntropy → logSoftmax, a fused primitive). */
function userLoss(logits: tg.Tensor): tg.Tensor {
  return tg.crossEntropy(logits, [0]);
}

describe('the producer is named, not the consumer', () => {
  test('a NaN made before the mode was on: the op that receives it names log, with its node and element', () => {
    const x = f64([1, -1]);
    const h = tg.log(x); // log(-1) = NaN at element 1, recorded outside detectAnomaly
    const w = f64([1, 2], [2, 1]);
    const m = message(() => tg.detectAnomaly(() => tg.matmul(tg.reshape(h, [1, 2]), w)));
    expect(m).toMatch(
      /^detectAnomaly: log \(node #\d+, inputs \[2\]\) produced NaN at element 1 in its forward output \[2\]; the op was called at\n\(not recorded: the op ran outside detectAnomaly\)\n\(found when reshape \(inputs \[2\]\) received it in its input 0; reshape was called at\n/,
    );
    expect(m).toMatch(/anomaly\.test\.ts/);
  });

  test('an op recorded under the mode is named at once, even under noGrad', () => {
    const x = f64([1, -1]);
    expect(() => tg.detectAnomaly(() => tg.noGrad(() => tg.log(x)))).toThrow(
      /^detectAnomaly: log \(inputs \[2\]\) produced NaN in its forward output \[2\] at element 1/,
    );
  });

  test('a NaN already in the data: the leaf is named, by its name, not the first op that reads it', () => {
    const x = f64([1, NaN, 3], [3], true, 'x');
    const m = message(() => tg.detectAnomaly(() => tg.exp(x)));
    expect(m).toMatch(/^detectAnomaly: the tensor 'x' \[3\] already holds NaN at element 1 and no op recorded in the graph made it/);
    expect(m).toMatch(/\(found when exp \(inputs \[3\]\) received it in its input 0;/);
  });

  test('during backward: a rule that meets a NaN of the forward names the forward op that made it, not the rule', () => {
    const x = f64([1, -1]);
    const w = f64([1, 2], [2, 1]);
    const y = tg.matmul(tg.reshape(tg.sqrt(x), [1, 2]), w).sum(); // sqrt(-1) = NaN, before the mode
    const m = message(() => tg.detectAnomaly(() => y.backward()));
    expect(m).toMatch(
      /^detectAnomaly: sqrt \(node #\d+, inputs \[2\]\) produced NaN at element 1 in its forward output \[2\]; the op was called at\n/,
    );
    expect(m).toMatch(/\n\(found during backward: the backward of matmul \(node #\d+\) returned NaN in the gradient of input 1\)$/);
    expect(w.grad).toBeNull();
  });

  test('during backward: a NaN in the gradient passed to backward is named as such', () => {
    const x = f64([1, 2]);
    const y = tg.mul(x, 3);
    expect(() => tg.detectAnomaly(() => y.backward(f64([1, NaN], [2], false)))).toThrow(
      /^detectAnomaly: the gradient flowing into mul \(node #\d+, output \[2\]\) already holds NaN at element 1: it came in with backward's or grad's gradient argument/,
    );
  });

  test('a rule that makes the non-finite value itself is still named (sqrt at 0)', () => {
    const x = f64([4, 0]);
    expect(() => tg.detectAnomaly(() => tg.sqrt(x).sum().backward())).toThrow(
      /^detectAnomaly: the backward of sqrt \(node #\d+, inputs \[2\], output \[2\]\) returned Infinity/,
    );
  });
});

describe("the creation stack reaches the user's line", () => {
  // Node's default, as a user's program has it (jest raises it to 100 for its own reports).
  let jestLimit: number;
  beforeEach(() => {
    jestLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 10;
  });
  afterEach(() => {
    Error.stackTraceLimit = jestLimit;
  });

  test('an overflow deep inside crossEntropy names the op, and the stack shows this file and none of tapegrad’s frames', () => {
    // logSoftmax subtracts the max: -1e308 - 1e308 overflows to -Infinity inside tapegrad, frames below userLoss.
    const logits = f64([1e308, -1e308], [1, 2]);
    const m = message(() => tg.detectAnomaly(() => userLoss(logits)));
    expect(m).toMatch(
      /^detectAnomaly: logSoftmax \(inputs \[1,2\]\) produced -Infinity in its forward output \[1,2\] at element 1; the op was called at\n/,
    );
    const frames = m.split('\n').slice(1);
    expect(frames[0]).toMatch(/userLoss .*anomaly\.test\.ts:\d+:\d+/);
    expect(frames.filter((f) => /[\\/]src[\\/]/.test(f))).toEqual([]);
    expect(frames.filter((f) => /node:internal|\(node:/.test(f))).toEqual([]);
  });

  test('the stack limit is raised only while the mode is on, and restored after it (also when fn throws)', () => {
    const before = Error.stackTraceLimit;
    expect(before).toBe(10);
    expect(tg.detectAnomaly(() => Error.stackTraceLimit)).toBeGreaterThanOrEqual(100);
    expect(Error.stackTraceLimit).toBe(before);
    expect(() =>
      tg.detectAnomaly(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(Error.stackTraceLimit).toBe(before);
    expect(tg.detectAnomaly(() => tg.detectAnomaly(() => Error.stackTraceLimit))).toBeGreaterThanOrEqual(100);
    expect(Error.stackTraceLimit).toBe(before);
  });

  test('async: the limit stays raised until the promise settles', async () => {
    const before = Error.stackTraceLimit;
    const p = tg.detectAnomaly(async () => {
      await Promise.resolve();
      return Error.stackTraceLimit;
    });
    expect(Error.stackTraceLimit).toBeGreaterThanOrEqual(100);
    expect(await p).toBeGreaterThanOrEqual(100);
    expect(Error.stackTraceLimit).toBe(before);
  });
});
