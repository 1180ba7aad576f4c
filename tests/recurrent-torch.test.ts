/**
 * PyTorch parity for the recurrent layers, packed sequences, attention and the Transformer encoder
 * (SPEC §15, §18): torch builds each layer in float64, its parameters are loaded into tapegrad BY NAME
 * (loadStateDict, strict), and outputs, final states and the gradients with respect to the input, the
 * initial state and every parameter must agree to float64 precision. The upstream gradients are
 * cos(0.7·i + 0.3), computed the same way on both sides (never all ones).
 */
import * as tg from '../src';
import { decodeTensor, encodeTensor, runTorch, TensorJson } from './torch-harness';

const TOL = 1e-10;

/** A deterministic, non-constant upstream gradient of `shape`. */
function upstream(shape: readonly number[]): tg.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tg.tensor(
    Array.from({ length: n }, (_, i) => Math.cos(0.7 * i + 0.3)),
    { shape: [...shape], dtype: 'float64' },
  );
}

const PY_UPSTREAM = `
def upstream(t):
    return torch.cos(torch.arange(t.numel(), dtype=torch.float64) * 0.7 + 0.3).reshape(t.shape)
`;

/** |a - b| <= TOL · (1 + max |b|), elementwise over equal shapes. */
function expectClose(what: string, actual: tg.Tensor | null | undefined, expected: TensorJson | null | undefined): void {
  if (expected === null || expected === undefined) {
    expect([what, actual ?? null]).toEqual([what, null]);
    return;
  }
  expect([what, actual ? [...actual.shape] : null]).toEqual([what, expected.shape]);
  const want = decodeTensor(expected).data;
  const got = actual!.data;
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  if (!(worst <= TOL * (1 + scale))) throw new Error(`${what}: max abs difference ${worst} (scale ${scale})`);
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const torchKwargs = (opts: Record<string, unknown>) => Object.fromEntries(Object.entries(opts).map(([k, v]) => [snake(k), v]));

const r = tg.rng('recurrent-torch');
const randn = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64' });
const leaf = (t: tg.Tensor) => {
  const c = tg.tensor(t.data.slice(), { shape: [...t.shape], dtype: 'float64' });
  c.requiresGrad = true;
  return c;
};

// ---- recurrent layers ---------------------------------------------------------------------------

const RECURRENT_PY = `
${PY_UPSTREAM}
def run_case(job):
    torch.manual_seed(job['seed'])
    cls = job['cls']
    m = getattr(torch.nn, cls)(*job['args'], **job['kwargs']).double()
    if job['train']:
        m.train()
    else:
        m.eval()
    packed = job.get('packed')
    if packed:
        seqs = [tensor_from(s, True) for s in job['seqs']]
        x = torch.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=job['enforce_sorted'])
        leaves = seqs
    else:
        x = tensor_from(job['x'], True)
        leaves = [x]
    state = None
    if job.get('h0') is not None:
        h0 = tensor_from(job['h0'], True)
        leaves.append(h0)
        state = h0
        if cls == 'LSTM':
            c0 = tensor_from(job['c0'], True)
            leaves.append(c0)
            state = (h0, c0)
    out, hn = m(x, state)
    cn = None
    if cls == 'LSTM':
        hn, cn = hn
    outd = out.data if packed else out
    loss = (outd * upstream(outd)).sum() + (hn * upstream(hn)).sum()
    if cn is not None:
        loss = loss + (cn * upstream(cn)).sum()
    loss.backward()
    return {
        'params': {k: tensor_json(v) for k, v in m.state_dict().items()},
        'out': outd, 'hn': hn, 'cn': cn,
        'batch_sizes': out.batch_sizes.tolist() if packed else None,
        'gparams': {k: p.grad for k, p in m.named_parameters()},
        'gleaves': [t.grad for t in leaves],
    }
emit([run_case(j) for j in job['cases']])
`;

type Cls = 'RNN' | 'LSTM' | 'GRU';

interface RecurrentCase {
  name: string;
  cls: Cls;
  args: [number, number];
  opts?: Record<string, unknown>;
  /** Input shape (padded), or sequence lengths for a packed batch. */
  x?: number[];
  packed?: { lengths: number[]; enforceSorted: boolean };
  withState?: boolean;
}

function build(cls: Cls, args: [number, number], opts: Record<string, unknown>) {
  const o = { ...opts, dtype: 'float64' as const };
  if (cls === 'LSTM') return new tg.nn.LSTM(args[0], args[1], o);
  if (cls === 'GRU') return new tg.nn.GRU(args[0], args[1], o);
  return new tg.nn.RNN(args[0], args[1], o);
}

function stateShape(c: RecurrentCase, batch: number | null, size: number): number[] {
  const o = c.opts ?? {};
  const ld = ((o.numLayers as number) ?? 1) * (o.bidirectional ? 2 : 1);
  return batch === null ? [ld, size] : [ld, batch, size];
}

interface Prepared {
  seqs: tg.Tensor[];
  x: tg.Tensor | null;
  h0: tg.Tensor | null;
  c0: tg.Tensor | null;
  job: Record<string, unknown>;
}

/** The case's inputs (seeded) and the job torch runs on them. */
function prepareRecurrent(c: RecurrentCase): Prepared {
  const opts = c.opts ?? {};
  const H = c.args[1];
  const Hr = (opts.projSize as number) || H;
  const seqs = c.packed ? c.packed.lengths.map((n) => randn([n, c.args[0]])) : [];
  const x = c.x ? randn(c.x) : null;
  const batch = c.packed ? c.packed.lengths.length : x!.ndim === 2 ? null : opts.batchFirst ? x!.shape[0] : x!.shape[1];
  const h0 = c.withState ? randn(stateShape(c, batch, Hr)) : null;
  const c0 = c.withState && c.cls === 'LSTM' ? randn(stateShape(c, batch, H)) : null;
  const job = {
    seed: 7,
    cls: c.cls,
    args: c.args,
    kwargs: torchKwargs(opts),
    train: false,
    packed: !!c.packed,
    enforce_sorted: c.packed?.enforceSorted ?? false,
    seqs: seqs.map(encodeTensor),
    x: x && encodeTensor(x),
    h0: h0 && encodeTensor(h0),
    c0: c0 && encodeTensor(c0),
  };
  return { seqs, x, h0, c0, job };
}

/** Torch's parameters as a state dict tapegrad loads. */
const stateDictOf = (params: Record<string, TensorJson>) =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { shape: v.shape, data: v.data as number[] }]));

function checkRecurrentCase(c: RecurrentCase, { seqs, x, h0, c0 }: Prepared, ref: any): void {
  const m = build(c.cls, c.args, c.opts ?? {});
  m.loadStateDict(stateDictOf(ref.params));
  m.eval();
  const leaves = c.packed ? seqs.map(leaf) : [leaf(x!)];
  const h0l = h0 && leaf(h0);
  const c0l = c0 && leaf(c0);
  const input = c.packed ? tg.nn.utils.rnn.packSequence(leaves, { enforceSorted: c.packed.enforceSorted }) : leaves[0];
  let out: tg.Tensor;
  let hn: tg.Tensor;
  let cn: tg.Tensor | null = null;
  if (m instanceof tg.nn.LSTM) {
    const [o, [h, cc]] = m.forward(input, h0l ? [h0l, c0l!] : null);
    out = o instanceof tg.Tensor ? o : o.data;
    if (!(o instanceof tg.Tensor)) expect(Array.from(o.batchSizes.data)).toEqual(ref.batch_sizes);
    [hn, cn] = [h, cc];
  } else {
    const [o, h] = (m as tg.nn.GRU).forward(input, h0l);
    out = o instanceof tg.Tensor ? o : o.data;
    if (!(o instanceof tg.Tensor)) expect(Array.from(o.batchSizes.data)).toEqual(ref.batch_sizes);
    hn = h;
  }
  expectClose('output', out, ref.out);
  expectClose('hN', hn, ref.hn);
  expectClose('cN', cn, ref.cn);
  let loss = tg.add(tg.sum(tg.mul(out, upstream(out.shape))), tg.sum(tg.mul(hn, upstream(hn.shape))));
  if (cn) loss = tg.add(loss, tg.sum(tg.mul(cn, upstream(cn.shape))));
  loss.backward();
  const named = m.namedParameters();
  expect(named.map(([n]) => n)).toEqual(Object.keys(ref.gparams));
  for (const [name, p] of named) expectClose(`grad ${name}`, p.grad, ref.gparams[name]);
  const all = [...leaves, ...(h0l ? [h0l] : []), ...(c0l ? [c0l] : [])];
  all.forEach((t, i) => expectClose(`grad input ${i}`, t.grad, ref.gleaves[i]));
}

const recurrentCases: RecurrentCase[] = [
  { name: 'RNN tanh', cls: 'RNN', args: [3, 4], x: [5, 2, 3] },
  { name: 'RNN relu, given state', cls: 'RNN', args: [3, 4], opts: { nonlinearity: 'relu' }, x: [5, 2, 3], withState: true },
  {
    name: 'RNN 2 layers bidirectional batchFirst',
    cls: 'RNN',
    args: [3, 4],
    opts: { numLayers: 2, bidirectional: true, batchFirst: true },
    x: [2, 5, 3],
    withState: true,
  },
  { name: 'RNN no bias, unbatched', cls: 'RNN', args: [3, 4], opts: { bias: false }, x: [4, 3], withState: true },
  { name: 'LSTM', cls: 'LSTM', args: [3, 5], x: [6, 2, 3] },
  { name: 'LSTM given state', cls: 'LSTM', args: [3, 5], x: [6, 2, 3], withState: true },
  { name: 'LSTM 2 layers', cls: 'LSTM', args: [3, 5], opts: { numLayers: 2 }, x: [4, 3, 3], withState: true },
  {
    name: 'LSTM bidirectional batchFirst',
    cls: 'LSTM',
    args: [3, 4],
    opts: { bidirectional: true, batchFirst: true },
    x: [2, 5, 3],
    withState: true,
  },
  {
    name: 'LSTM projSize, 2 layers bidirectional',
    cls: 'LSTM',
    args: [3, 5],
    opts: { projSize: 2, numLayers: 2, bidirectional: true },
    x: [4, 2, 3],
    withState: true,
  },
  { name: 'LSTM unbatched', cls: 'LSTM', args: [3, 4], x: [5, 3], withState: true },
  { name: 'LSTM no bias', cls: 'LSTM', args: [3, 4], opts: { bias: false }, x: [3, 2, 3] },
  { name: 'GRU', cls: 'GRU', args: [3, 4], x: [5, 2, 3] },
  {
    name: 'GRU 2 layers bidirectional, given state',
    cls: 'GRU',
    args: [3, 4],
    opts: { numLayers: 2, bidirectional: true },
    x: [5, 2, 3],
    withState: true,
  },
  { name: 'GRU batchFirst no bias', cls: 'GRU', args: [3, 4], opts: { batchFirst: true, bias: false }, x: [2, 4, 3] },
  { name: 'GRU unbatched', cls: 'GRU', args: [3, 4], x: [4, 3], withState: true },
  { name: 'LSTM packed, unsorted lengths', cls: 'LSTM', args: [3, 4], packed: { lengths: [2, 5, 3], enforceSorted: false } },
  {
    name: 'LSTM packed, given state, 2 layers bidirectional',
    cls: 'LSTM',
    args: [3, 4],
    opts: { numLayers: 2, bidirectional: true },
    packed: { lengths: [3, 6, 1, 4], enforceSorted: false },
    withState: true,
  },
  {
    name: 'LSTM packed sorted, projSize',
    cls: 'LSTM',
    args: [3, 4],
    opts: { projSize: 2 },
    packed: { lengths: [5, 3, 2], enforceSorted: true },
    withState: true,
  },
  {
    name: 'GRU packed bidirectional, given state',
    cls: 'GRU',
    args: [3, 4],
    opts: { bidirectional: true },
    packed: { lengths: [2, 4, 3], enforceSorted: false },
    withState: true,
  },
  {
    name: 'RNN relu packed',
    cls: 'RNN',
    args: [3, 4],
    opts: { nonlinearity: 'relu' },
    packed: { lengths: [1, 3, 2], enforceSorted: false },
    withState: true,
  },
];

describe('recurrent layers match PyTorch (float64)', () => {
  const prepared = recurrentCases.map(prepareRecurrent);
  let refs: any[];
  // One Python process for every case: starting torch dominates the time.
  beforeAll(() => {
    refs = runTorch(RECURRENT_PY, { cases: prepared.map((p) => p.job) });
  });
  test.each(recurrentCases.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => checkRecurrentCase(c, prepared[i], refs[i]));
});

// ---- attention ----------------------------------------------------------------------------------

const ATTENTION_PY = `
${PY_UPSTREAM}
def opt_tensor(j, grad=False):
    return None if j is None else tensor_from(j, grad)
def grads_of(m, leaves):
    return {'gparams': {k: p.grad for k, p in m.named_parameters()}, 'gleaves': [t.grad for t in leaves]}
def run_case(job):
    torch.manual_seed(job.get('seed', 0))
    kind = job['kind']
    if kind == 'sdpa':
        q, k, v = [tensor_from(t, True) for t in job['qkv']]
        mask = opt_tensor(job.get('mask'))
        scale = job.get('scale') or 1 / math.sqrt(q.shape[-1])
        s = q @ k.transpose(-2, -1) * scale
        if job.get('causal'):
            L, S = s.shape[-2], s.shape[-1]
            s = s.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), -math.inf)
        if mask is not None:
            s = s.masked_fill(~mask, -math.inf) if mask.dtype == torch.bool else s + mask
        out = torch.softmax(s, -1) @ v
        (out * upstream(out)).sum().backward()
        return {'out': out, 'gleaves': [q.grad, k.grad, v.grad]}
    if kind == 'mha':
        m = torch.nn.MultiheadAttention(*job['args'], **job['kwargs']).double()
        q, k, v = [tensor_from(t, True) for t in job['qkv']]
        out, w = m(q, k, v, key_padding_mask=opt_tensor(job.get('kpm')), need_weights=job['need_weights'],
                   attn_mask=opt_tensor(job.get('mask')), average_attn_weights=job['average'])
        loss = (out * upstream(out)).sum()
        if w is not None:
            loss = loss + (w * upstream(w)).sum()
        loss.backward()
        return {'params': m.state_dict(), 'out': out, 'w': w, **grads_of(m, [q, k, v])}
    layer = torch.nn.TransformerEncoderLayer(*job['args'], **job['kwargs']).double()
    m = layer if kind == 'layer' else torch.nn.TransformerEncoder(layer, job['num_layers'],
        norm=torch.nn.LayerNorm(job['args'][0]).double() if job.get('final_norm') else None, enable_nested_tensor=False)
    if kind == 'encoder':
        # Distinct layers, so loading by name is tested (deepcopy made them equal).
        with torch.no_grad():
            for p in m.parameters():
                p.add_(torch.randn(p.shape) * 0.1)
    m.train()
    src = tensor_from(job['src'], True)
    kw = {'src_key_padding_mask': opt_tensor(job.get('kpm'))}
    if kind == 'layer':
        out = m(src, src_mask=opt_tensor(job.get('mask')), **kw)
    else:
        out = m(src, mask=opt_tensor(job.get('mask')), **kw)
    (out * upstream(out)).sum().backward()
    return {'params': m.state_dict(), 'out': out, **grads_of(m, [src])}
emit([run_case(j) for j in job['cases']])
`;

interface AttentionCase {
  name: string;
  /** The job (inputs as TensorJson) and the tapegrad side, which gets the same inputs. */
  make: () => { job: Record<string, unknown>; run: (ref: any) => void };
}

/** Float masks with a few -inf entries, never a whole row. */
function floatMask(shape: number[]): tg.Tensor {
  const m = randn(shape);
  const S = shape[shape.length - 1];
  for (let i = 0; i < m.size; i++) if (i % S !== 0 && i % 5 === 2) m.data[i] = -Infinity;
  return m;
}

function checkModule(m: tg.nn.AnyModule, ref: any, leaves: tg.Tensor[], outs: (tg.Tensor | null)[], refOuts: (TensorJson | null)[]): void {
  outs.forEach((o, i) => expectClose(`output ${i}`, o, refOuts[i]));
  let loss: tg.Tensor | null = null;
  for (const o of outs) if (o) loss = loss ? tg.add(loss, tg.sum(tg.mul(o, upstream(o.shape)))) : tg.sum(tg.mul(o, upstream(o.shape)));
  loss!.backward();
  const named = m.namedParameters();
  expect(named.map(([n]) => n)).toEqual(Object.keys(ref.gparams));
  for (const [name, p] of named) expectClose(`grad ${name}`, p.grad, ref.gparams[name]);
  leaves.forEach((t, i) => expectClose(`grad input ${i}`, t.grad, ref.gleaves[i]));
}

const loadTorch = (m: tg.nn.AnyModule, ref: any) => m.loadStateDict(stateDictOf(ref.params));

function sdpaCase(
  name: string,
  shapes: [number[], number[], number[]],
  opts: { mask?: tg.Tensor; causal?: boolean; scale?: number },
): AttentionCase {
  return {
    name: `scaledDotProductAttention ${name}`,
    make: () => {
      const qkv = shapes.map(randn);
      return {
        job: {
          kind: 'sdpa',
          qkv: qkv.map(encodeTensor),
          mask: opts.mask ? encodeTensor(opts.mask) : null,
          causal: !!opts.causal,
          scale: opts.scale ?? null,
        },
        run: (ref) => {
          const [q, k, v] = qkv.map(leaf);
          const out = tg.scaledDotProductAttention(q, k, v, { attnMask: opts.mask, isCausal: opts.causal, scale: opts.scale });
          expectClose('output', out, ref.out);
          tg.sum(tg.mul(out, upstream(out.shape))).backward();
          [q, k, v].forEach((t, i) => expectClose(`grad ${'qkv'[i]}`, t.grad, ref.gleaves[i]));
        },
      };
    },
  };
}

interface MhaSpec {
  E: number;
  H: number;
  opts?: tg.nn.MultiheadAttentionOptions;
  /** query, key, value shapes. */
  shapes: [number[], number[], number[]];
  mask?: () => tg.Tensor;
  kpm?: () => tg.Tensor;
  needWeights?: boolean;
  average?: boolean;
}

function mhaCase(name: string, s: MhaSpec): AttentionCase {
  return {
    name: `MultiheadAttention ${name}`,
    make: () => {
      const qkv = s.shapes.map(randn);
      const mask = s.mask?.() ?? null;
      const kpm = s.kpm?.() ?? null;
      const needWeights = s.needWeights ?? true;
      const average = s.average ?? true;
      const { rng: _rng, dtype: _dtype, ...kwargs } = s.opts ?? {};
      return {
        job: {
          kind: 'mha',
          seed: 3,
          args: [s.E, s.H],
          kwargs: torchKwargs(kwargs),
          qkv: qkv.map(encodeTensor),
          mask: mask && encodeTensor(mask),
          kpm: kpm && encodeTensor(kpm),
          need_weights: needWeights,
          average,
        },
        run: (ref) => {
          const m = new tg.nn.MultiheadAttention(s.E, s.H, { ...s.opts, dtype: 'float64' });
          loadTorch(m, ref);
          const [q, k, v] = qkv.map(leaf);
          const [out, w] = m.forward(q, k, v, { attnMask: mask, keyPaddingMask: kpm, needWeights, averageAttnWeights: average });
          if (!needWeights) expect(w).toBeNull();
          checkModule(m, ref, [q, k, v], [out, w], [ref.out, ref.w]);
        },
      };
    },
  };
}

interface EncoderSpec {
  d: number;
  nhead: number;
  opts: tg.nn.TransformerEncoderLayerOptions;
  src: number[];
  numLayers?: number;
  finalNorm?: boolean;
  mask?: () => tg.Tensor;
  kpm?: () => tg.Tensor;
}

function encoderCase(name: string, s: EncoderSpec): AttentionCase {
  return {
    name: `${s.numLayers ? 'TransformerEncoder' : 'TransformerEncoderLayer'} ${name}`,
    make: () => {
      const src = randn(s.src);
      const mask = s.mask?.() ?? null;
      const kpm = s.kpm?.() ?? null;
      const { rng: _rng, dtype: _dtype, ...kwargs } = s.opts;
      return {
        job: {
          kind: s.numLayers ? 'encoder' : 'layer',
          seed: 5,
          args: [s.d, s.nhead],
          kwargs: torchKwargs({ dropout: 0, ...kwargs }),
          num_layers: s.numLayers ?? null,
          final_norm: !!s.finalNorm,
          src: encodeTensor(src),
          mask: mask && encodeTensor(mask),
          kpm: kpm && encodeTensor(kpm),
        },
        run: (ref) => {
          const layer = new tg.nn.TransformerEncoderLayer(s.d, s.nhead, { dropout: 0, ...s.opts, dtype: 'float64' });
          const m = s.numLayers ? new tg.nn.TransformerEncoder(layer, s.numLayers, { norm: s.finalNorm ? finalNorm(s.d) : null }) : layer;
          loadTorch(m, ref);
          const x = leaf(src);
          const out =
            m instanceof tg.nn.TransformerEncoder
              ? m.forward(x, { mask, srcKeyPaddingMask: kpm })
              : (m as tg.nn.TransformerEncoderLayer).forward(x, { srcMask: mask, srcKeyPaddingMask: kpm });
          checkModule(m, ref, [x], [out], [ref.out]);
        },
      };
    },
  };
}

/** The final norm of an encoder: a layer made for it (nn.LayerNorm is another family's). */
function finalNorm(d: number): tg.nn.AnyModule {
  return (new tg.nn.TransformerEncoderLayer(d, 1, { dtype: 'float64', dimFeedforward: 1 }) as any).norm1;
}

const attentionCases: AttentionCase[] = [
  sdpaCase(
    '[2,3,4] no mask',
    [
      [2, 3, 4],
      [2, 5, 4],
      [2, 5, 3],
    ],
    {},
  ),
  sdpaCase(
    '4-d, float mask broadcast [3,5]',
    [
      [2, 2, 3, 4],
      [2, 2, 5, 4],
      [2, 2, 5, 6],
    ],
    { mask: floatMask([3, 5]) },
  ),
  sdpaCase(
    'causal, scale 0.3',
    [
      [2, 4, 3],
      [2, 4, 3],
      [2, 4, 2],
    ],
    { causal: true, scale: 0.3 },
  ),
  sdpaCase(
    'causal, more keys than queries',
    [
      [3, 4],
      [5, 4],
      [5, 2],
    ],
    { causal: true },
  ),
  mhaCase('self-attention [L,N,E]', {
    E: 6,
    H: 2,
    shapes: [
      [4, 2, 6],
      [4, 2, 6],
      [4, 2, 6],
    ],
  }),
  mhaCase('cross-attention, batchFirst, heads not averaged', {
    E: 6,
    H: 3,
    opts: { batchFirst: true },
    shapes: [
      [2, 3, 6],
      [2, 5, 6],
      [2, 5, 6],
    ],
    average: false,
  }),
  mhaCase('kdim/vdim, no bias, float masks [L,S] and key padding', {
    E: 4,
    H: 2,
    opts: { kdim: 3, vdim: 5, bias: false },
    shapes: [
      [3, 2, 4],
      [5, 2, 3],
      [5, 2, 5],
    ],
    mask: () => floatMask([3, 5]),
  }),
  mhaCase('3-d float mask [N·H,L,S], needWeights false', {
    E: 4,
    H: 2,
    shapes: [
      [3, 2, 4],
      [3, 2, 4],
      [3, 2, 4],
    ],
    mask: () => floatMask([4, 3, 3]),
    needWeights: false,
  }),
  mhaCase('unbatched', {
    E: 4,
    H: 2,
    shapes: [
      [3, 4],
      [5, 4],
      [5, 4],
    ],
    kpm: () => floatMask([5]),
  }),
  encoderCase('post-norm', { d: 4, nhead: 2, opts: { dimFeedforward: 8 }, src: [5, 2, 4] }),
  encoderCase('pre-norm, batchFirst, float masks', {
    d: 4,
    nhead: 2,
    opts: { dimFeedforward: 6, normFirst: true, batchFirst: true, layerNormEps: 1e-3 },
    src: [2, 5, 4],
    mask: () => floatMask([5, 5]),
  }),
  encoderCase('3 layers with a final norm', { d: 4, nhead: 2, opts: { dimFeedforward: 8 }, src: [3, 2, 4], numLayers: 3, finalNorm: true }),
  encoderCase('2 pre-norm layers, mask', {
    d: 6,
    nhead: 3,
    opts: { dimFeedforward: 5, normFirst: true },
    src: [4, 2, 6],
    numLayers: 2,
    mask: () => floatMask([4, 4]),
  }),
];

describe('attention and the Transformer encoder match PyTorch (float64)', () => {
  const made = attentionCases.map((c) => c.make());
  let refs: any[];
  beforeAll(() => {
    refs = runTorch(ATTENTION_PY, { cases: made.map((m) => m.job) });
  });
  test.each(attentionCases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => made[i].run(refs[i]));
});
