/**
 * Bad input throws an Error whose message names the op and the shapes written like `[2,3]` (SPEC §1):
 * never a silent NaN or a wrong shape.
 */
import * as tg from '../src';

const x23 = () => tg.ones([2, 3]);

const cases: [string, () => unknown, string | RegExp][] = [
  // broadcasting
  ['add of non-broadcastable shapes', () => tg.add(x23(), tg.ones([4])), 'add: shapes [2,3] and [4] cannot be broadcast together'],
  [
    'sub of non-broadcastable shapes',
    () => tg.sub(tg.ones([2, 1, 3]), tg.ones([4, 2])),
    'sub: shapes [2,1,3] and [4,2] cannot be broadcast together',
  ],
  ['mul method', () => x23().mul(tg.ones([3, 2])), 'mul: shapes [2,3] and [3,2] cannot be broadcast together'],
  ['div', () => tg.div(tg.ones([0]), tg.ones([2])), 'div: shapes [0] and [2] cannot be broadcast together'],
  ['pow', () => tg.pow(x23(), tg.ones([2])), 'pow: shapes [2,3] and [2] cannot be broadcast together'],
  ['maximum', () => tg.maximum(x23(), tg.ones([2])), 'maximum: shapes [2,3] and [2] cannot be broadcast together'],
  ['minimum', () => tg.minimum(x23(), tg.ones([2])), 'minimum: shapes [2,3] and [2] cannot be broadcast together'],
  ['expand to an incompatible shape', () => x23().expand([4, 3]), 'expand: shape [2,3] cannot be broadcast to [4,3]'],
  ['expand to fewer axes', () => x23().expand([3]), 'expand: shape [2,3] cannot be broadcast to [3]'],
  ['a non-tensor operand', () => tg.add(x23(), 'a' as never), 'add: expected a Tensor or a number, got string'],
  // reshape
  ['reshape to a wrong size', () => x23().reshape([4]), 'reshape: cannot reshape [2,3] (size 6) into [4]: sizes do not match'],
  [
    'reshape with -1 that does not divide',
    () => x23().reshape([4, -1]),
    'reshape: cannot reshape [2,3] (size 6) into [4,-1]: sizes do not match',
  ],
  [
    'reshape with two -1',
    () => x23().reshape([-1, -1]),
    'reshape: cannot reshape [2,3] (size 6) into [-1,-1]: only one dimension can be -1',
  ],
  ['reshape with a bad size', () => x23().reshape([2, 1.5]), 'reshape: cannot reshape [2,3] (size 6) into [2,1.5]: invalid dimension 1.5'],
  // matmul
  ['matmul inner mismatch', () => tg.matmul(x23(), tg.ones([4, 5])), 'matmul: inner dimensions do not match: [2,3] @ [4,5]'],
  ['matmul 1-D inner mismatch', () => tg.matmul(tg.ones([3]), tg.ones([4])), 'matmul: inner dimensions do not match: [3] @ [4]'],
  [
    'matmul batch mismatch',
    () => tg.matmul(tg.ones([2, 2, 3]), tg.ones([3, 3, 4])),
    'matmul: batch dimensions do not broadcast: [2,2,3] @ [3,3,4]',
  ],
  [
    'matmul with a 0-d operand',
    () => tg.matmul(tg.tensor(2), tg.ones([2])),
    'matmul: both operands need at least one dimension, got [] @ [2]',
  ],
  // axes and permutations
  ['sum over a bad axis', () => x23().sum(2), 'sum: axis 2 is out of range for shape [2,3]'],
  ['sum over a repeated axis', () => x23().sum([1, -1]), 'sum: axis 1 repeated in [1,-1] for shape [2,3]'],
  ['max over a bad negative axis', () => x23().max(-3), 'max: axis -3 is out of range for shape [2,3]'],
  ['mean over a non-integer axis', () => x23().mean(0.5), 'mean: axis 0.5 is out of range for shape [2,3]'],
  ['softmax over a bad axis', () => x23().softmax(2), 'softmax: axis 2 is out of range for shape [2,3]'],
  ['logSoftmax over a bad axis', () => x23().logSoftmax(-3), 'logSoftmax: axis -3 is out of range for shape [2,3]'],
  ['flip over a bad axis', () => x23().flip([5]), 'flip: axis 5 is out of range for shape [2,3]'],
  ['flatten from a bad axis', () => x23().flatten(2), 'flatten: axis 2 is out of range for shape [2,3]'],
  ['transpose with a repeated axis', () => x23().transpose([0, 0]), 'transpose: [0,0] is not a permutation of the axes of shape [2,3]'],
  ['transpose with too few axes', () => x23().transpose([1]), 'transpose: [1] is not a permutation of the axes of shape [2,3]'],
  [
    'transpose with an axis out of range',
    () => x23().transpose([0, 2]),
    'transpose: [0,2] is not a permutation of the axes of shape [2,3]',
  ],
  ['transposeLast2 of a vector', () => tg.ones([3]).transposeLast2(), 'transposeLast2: needs at least 2 axes, got shape [3]'],
  ['concat along a bad axis', () => tg.concat([x23(), x23()], 2), 'concat: axis 2 is out of range for shape [2,3]'],
  ['stack along a bad axis', () => tg.stack([x23(), x23()], -4), 'stack: axis -4 is out of range'],
  // max of nothing
  ['max over an empty axis', () => tg.zeros([2, 0]).max(1), 'max: cannot reduce over axis 1 of size 0 in shape [2,0]'],
  // pad, slice, concat, stack
  ['pad with more entries than axes', () => x23().pad([1, 1, 1]), 'pad: 3 padding entries for a tensor of shape [2,3] with 2 axes'],
  [
    'pad with a negative width',
    () => x23().pad([[1, -1]]),
    'pad: padding must be non-negative integers, got [1,-1] for axis 0 of shape [2,3]',
  ],
  [
    'pad with an unknown mode',
    () => x23().pad([1], { mode: 'mirror' as never }),
    "pad: unknown mode 'mirror' (use constant, replicate, symmetric, circular, reflect)",
  ],
  [
    'pad an empty axis by replication',
    () => tg.zeros([0, 2]).pad([1], { mode: 'replicate' }),
    'pad: cannot pad the empty axis 0 of shape [0,2] in replicate mode',
  ],
  ['slice with starts and ends of different lengths', () => x23().slice([0], [1, 2]), 'slice: 1 starts but 2 ends for shape [2,3]'],
  ['slice with too many ranges', () => x23().slice([0, 0, 0], [1, 1, 1]), 'slice: 3 ranges for a tensor of shape [2,3]'],
  ['slice with a non-integer index', () => x23().slice([0.5], [1]), 'slice: index 0.5 is not an integer (shape [2,3])'],
  ['concat of mismatched shapes', () => tg.concat([x23(), tg.ones([2, 4])]), 'concat: shapes [2,3], [2,4] differ outside axis 0'],
  ['concat of different ranks', () => tg.concat([x23(), tg.ones([3])], -1), 'concat: shapes [2,3], [3] differ outside axis -1'],
  ['concat of nothing', () => tg.concat([]), 'concat: needs at least one tensor'],
  [
    'concat of 0-d tensors',
    () => tg.concat([tg.tensor(1), tg.tensor(2)]),
    'concat: zero-dimensional tensors cannot be concatenated (use stack): [], []',
  ],
  ['stack of unequal shapes', () => tg.stack([x23(), tg.ones([3, 2])]), 'stack: shapes [2,3], [3,2] are not all equal'],
  // tensor conversion
  ['item() on several elements', () => x23().item(), 'item: only a one-element tensor converts to a number, got shape [2,3]'],
  ['cast to an unknown dtype', () => x23().cast('int8' as never), "cast: unknown dtype int8 (use 'float32', 'float64', 'int32' or 'bool')"],
  ['sumTo a shape that does not broadcast', () => tg.sumTo(x23(), [3, 1]), 'sumTo: shape [2,3] does not broadcast from [3,1]'],
];

describe('errors name the op and the shapes', () => {
  test.each(cases)('%s', (_name, fn, message) => {
    expect(fn).toThrow(Error);
    expect(fn).toThrow(message);
  });
});

describe('backward and grad errors', () => {
  const leaf = () =>
    tg.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );

  test('backward on a non-scalar without a gradient', () => {
    expect(() => leaf().mul(2).backward()).toThrow(
      'backward: a gradient can be created implicitly only for a one-element output, got shape [2,3]; pass one of that shape',
    );
  });

  test('backward with a wrong-shaped gradient', () => {
    expect(() =>
      leaf()
        .mul(2)
        .backward(tg.ones([3])),
    ).toThrow('backward: gradient of shape [3] does not match output of shape [2,3]');
    expect(() =>
      leaf()
        .mul(2)
        .backward(tg.ones([3, 2])),
    ).toThrow('backward: gradient of shape [3,2] does not match output of shape [2,3]');
  });

  test('backward with a gradient that is not a tensor', () => {
    expect(() =>
      leaf()
        .sum()
        .backward(1 as never),
    ).toThrow('backward: the gradient for the output of shape [] must be a Tensor, got number');
  });

  test('backward on a tensor that does not require grad', () => {
    expect(() => tg.ones([2]).sum().backward()).toThrow(
      'backward: tensor of shape [] does not require grad and has no node to differentiate',
    );
  });

  test('grad with a wrong-shaped gradOutput', () => {
    const x = leaf();
    expect(() => tg.grad(x.mul(2), [x], { gradOutputs: [tg.ones([6])] })).toThrow(
      'grad: gradient of shape [6] does not match output of shape [2,3]',
    );
  });

  test('backward through a freed graph', () => {
    const y = leaf().tanh();
    y.backward(tg.ones([2, 3]));
    expect(() => y.backward(tg.ones([2, 3]))).toThrow(
      /^backward: the graph through tanh \(node #\d+, output \[2,3\]\) was freed by an earlier backward; pass \{retainGraph: true\} to the first backward/,
    );
  });

  test('a rule that returns a wrong-shaped gradient is caught by the engine, naming the op', () => {
    const broken = tg.definePrimitive('test_brokenShape', {
      forward: ([x]) => new tg.Tensor(x.data.slice(), x.shape),
      backward: (gy) => [tg.sum(gy)],
    });
    const x = leaf();
    expect(() => broken.apply([x], undefined).backward(tg.ones([2, 3]))).toThrow(
      'backward: the rule of test_brokenShape returned a float32 gradient of shape [] for its float32 input 0 of shape [2,3]',
    );
  });

  test('registering a primitive name twice throws', () => {
    expect(() => tg.definePrimitive('add', { forward: ([x]) => x, backward: (gy) => [gy] })).toThrow(
      "definePrimitive: a primitive named 'add' is already defined",
    );
  });
});
