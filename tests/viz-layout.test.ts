/**
 * Figure layout (issue #32): titles wrap, value and grad columns stay apart, and an expanded output
 * sums its products in a balanced tree (Note [expanded graphs]).
 */
import * as tg from '../src';
import { TITLE_WIDTH, tensorLabel, titleLabel, wrapText } from '../src/viz/labels';

test('titles wrap at spaces into lines of at most TITLE_WIDTH characters, each bold; a short one stays one line', () => {
  const long = 'conv2d: 5×5×3 input, K = 2 filters 3×3×3, stride 2, pad 1 → 3×3×2 (fused), drawn for a long caption';
  const lines = wrapText(long, TITLE_WIDTH);
  expect(lines.length).toBeGreaterThan(1);
  expect(lines.every((l) => l.length <= TITLE_WIDTH)).toBe(true);
  expect(lines.join(' ')).toBe(long);
  expect(titleLabel(long)).toBe(`<${lines.map((l) => `<B>${l}</B>`).join('<BR ALIGN="LEFT"/>')}>`);
  expect(titleLabel('mlp')).toBe('<<B>mlp</B>>');
  expect(wrapText('a\nb', 10)).toEqual(['a', 'b']);
});

test('a large tensor’s value and grad headers are padded like their columns, so they never read as “valuegrad”', () => {
  const x = tg.randn([20], { rng: tg.rng(0), requiresGrad: true });
  x.mul(2).sum().backward();
  const label = tensorLabel(x, { values: true, grads: true });
  expect(label).toContain(
    '<TD ALIGN="RIGHT" CELLPADDING="3"><FONT POINT-SIZE="9" COLOR="#555555">value</FONT></TD><TD ALIGN="RIGHT" CELLPADDING="3"><FONT POINT-SIZE="9" COLOR="#555555">grad</FONT></TD>',
  );
});

test('an expanded output sums its 27 products in a balanced tree: 26 adds, 5 deep (a chain would be 26 deep)', () => {
  const x = tg.randn([1, 3, 5, 5], { rng: tg.rng(1), requiresGrad: true, name: 'x' });
  const w = tg.randn([2, 3, 3, 3], { rng: tg.rng(2), requiresGrad: true, name: 'w' });
  const y = tg.conv2d(x, w, null, { expand: true });
  const fused = tg.conv2d(x, w);
  expect(Array.from(y.data).every((v, i) => Math.abs(v - fused.data[i]) < 1e-5)).toBe(true);
  // The scalar of output [0,1,1,1]: walk its adds.
  let root = y;
  while (root.node!.op === 'reshape') root = root.node!.inputs[0];
  const scalarOut = root.node!.inputs[1 * 9 + 1 * 3 + 1];
  let adds = 0;
  const depth = (t: tg.Tensor): number => {
    if (t.node === null || t.node.op !== 'add') return 0;
    adds++;
    return 1 + Math.max(...t.node.inputs.map(depth));
  };
  expect(depth(scalarOut)).toBe(5);
  expect(adds).toBe(26);
});
