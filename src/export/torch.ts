/**
 * @file `tg.export.toTorch(model, sample)` (SPEC §17): a tapegrad model as a PyTorch program — a
 * readable `torch.nn.Module` built from the same layers (`model.py`), whose `state_dict()` keys are
 * tapegrad's, and the weights in safetensors (`weights.safetensors`), so a model trained here can be
 * trained further by PyTorch (one process or DistributedDataParallel) and brought back.
 *
 * Note [tracing a forward for PyTorch]: a layer tapegrad shares with PyTorch (Conv2d, LSTM,
 * MultiheadAttention, …) becomes its `torch.nn` twin, constructed from the same options. A module of
 * the user's own (a class with its own `forward`) has no twin, so its forward is traced: the model
 * runs once on `sample` in eval mode while a module-call observer records each call, and the graph
 * records each op; the module's Python `forward` replays, in order, the calls of its direct children
 * and the ops it ran itself (mapped to torch functions), with tensors named as they flow. A layer of
 * tapegrad's with no PyTorch twin, or an op with no torch spelling, throws, naming it.
 */
import { nodesCreated } from '../autograd/node';
import { topoSort } from '../autograd/engine';
import { AnyModule, Module, setModuleCallObserver } from '../nn/module';
import { noGrad } from '../autograd/mode';
import { currentScope, type ScopeFrame } from '../autograd/scope';
import { saveBytes } from '../tensor/safetensors';
import { fmt } from '../tensor/shape';
import { ELEMENTWISE_MATH } from '../ops/names';
import { Tensor } from '../tensor/tensor';

export interface ToTorchOptions {
  /** The Python class name of the root module (default `Model`; model.py also binds `Model` to it). */
  className?: string;
}

export interface TorchExport {
  'model.py': string;
  'weights.safetensors': Uint8Array;
}

/** One recorded module call. */
interface Call {
  module: AnyModule;
  args: readonly unknown[];
  out: unknown;
  /** The scope frame the call ran in (nodes made directly in it carry it). */
  frame: number;
  /** The parent call's frame (0 for the root). */
  parentFrame: number;
  /** nodesCreated() + 0.5 when the call began: orders it among its parent's own ops, after those that made its inputs. */
  seq: number;
}

// ---- tapegrad layers that have a torch.nn twin ------------------------------------------------

const py = (v: unknown): string => {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number')
    return Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : String(v)) : v > 0 ? "float('inf')" : "float('-inf')";
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return v.length === 1 ? `(${py(v[0])},)` : `(${v.map(py).join(', ')})`;
  throw new Error(`toTorch: cannot write ${String(v)} in Python`);
};

/** Layers whose PyTorch extra_repr is their constructor's arguments (tapegrad's extraRepr prints PyTorch's). */
const BY_REPR = new Set([
  'Linear',
  'Conv1d',
  'Conv2d',
  'ConvTranspose1d',
  'ConvTranspose2d',
  'MaxPool1d',
  'MaxPool2d',
  'AvgPool1d',
  'AvgPool2d',
  'AdaptiveAvgPool1d',
  'AdaptiveAvgPool2d',
  'AdaptiveMaxPool1d',
  'AdaptiveMaxPool2d',
  'BatchNorm1d',
  'BatchNorm2d',
  'GroupNorm',
  'InstanceNorm1d',
  'InstanceNorm2d',
  'Embedding',
  'Dropout',
  'Dropout2d',
  'AlphaDropout',
  'ReLU',
  'Tanh',
  'Sigmoid',
  'Flatten',
  'Unflatten',
  'Identity',
  'Softmax',
  'LogSoftmax',
  'LeakyReLU',
  'ELU',
  'SELU',
  'CELU',
  'GELU',
  'SiLU',
  'Mish',
  'Softplus',
  'LogSigmoid',
  'Hardtanh',
  'ReLU6',
  'Hardsigmoid',
  'Hardswish',
  'Softsign',
  'Tanhshrink',
  'PReLU',
  'Softshrink',
  'Hardshrink',
  'Threshold',
  'PixelShuffle',
  'PixelUnshuffle',
  'RNNCell',
  'LSTMCell',
  'GRUCell',
  'RNN',
  'LSTM',
  'GRU',
]);

type Fields = Record<string, any>;

/** Layers whose constructor must be spelt out from their fields (PyTorch prints no extra_repr for them). */
/** PyTorch's RNN/LSTM/GRU arguments: only those that differ from its defaults, as its repr prints them. */
function recurrentArgs(m: Fields): string {
  const args = [`${m.inputSize}`, `${m.hiddenSize}`];
  if (m.numLayers !== undefined && m.numLayers !== 1) args.push(`num_layers=${m.numLayers}`);
  if (m.nonlinearity !== undefined && m.nonlinearity !== 'tanh') args.push(`nonlinearity=${py(m.nonlinearity)}`);
  if (m.bias === false || m.bias_ih === null) args.push('bias=False');
  if (m.batchFirst) args.push('batch_first=True');
  if (m.dropout) args.push(`dropout=${py(m.dropout)}`);
  if (m.bidirectional) args.push('bidirectional=True');
  if (m.projSize) args.push(`proj_size=${m.projSize}`);
  return args.join(', ');
}

/** A loss module's constructor: the options it was given, under PyTorch's keywords; weight buffers as zeros the weights fill. */
function lossArgs(name: string, keywords: Record<string, string>): (m: Fields) => string {
  return (m) => {
    const args: string[] = [];
    for (const [buf, kw] of [
      ['weight', 'weight'],
      ['pos_weight', 'pos_weight'],
    ] as const) {
      const t = m[buf] as Tensor | null | undefined;
      if (t) args.push(`${kw}=torch.zeros(${py([...t.shape])}, dtype=torch.${t.dtype})`);
    }
    for (const [key, kw] of Object.entries(keywords)) if (m.opts?.[key] !== undefined) args.push(`${kw}=${py(m.opts[key])}`);
    return `nn.${name}(${args.join(', ')})`;
  };
}

const BY_FIELDS: Record<string, (m: Fields, ctor: (child: AnyModule) => string) => string> = {
  // PyTorch's repr leaves out align_corners, and 1.13's prints the mode unquoted: spelt out instead.
  Upsample: (m) => {
    const repr: string = m.extraRepr();
    const info = repr.slice(0, repr.lastIndexOf(', mode='));
    const alignCorners = m.opts.alignCorners === true ? ', align_corners=True' : '';
    return `nn.Upsample(${info}, mode=${py(m.opts.mode ?? 'nearest')}${alignCorners})`;
  },
  CosineSimilarity: (m) => `nn.CosineSimilarity(dim=${m.axis}, eps=${py(m.eps)})`,
  // Losses (a model whose forward computes its own loss): PyTorch's keyword for each option given.
  CrossEntropyLoss: lossArgs('CrossEntropyLoss', {
    ignoreIndex: 'ignore_index',
    reduction: 'reduction',
    labelSmoothing: 'label_smoothing',
  }),
  NLLLoss: lossArgs('NLLLoss', { ignoreIndex: 'ignore_index', reduction: 'reduction' }),
  BCELoss: lossArgs('BCELoss', { reduction: 'reduction' }),
  BCEWithLogitsLoss: lossArgs('BCEWithLogitsLoss', { reduction: 'reduction' }),
  MSELoss: lossArgs('MSELoss', { reduction: 'reduction' }),
  L1Loss: lossArgs('L1Loss', { reduction: 'reduction' }),
  SmoothL1Loss: lossArgs('SmoothL1Loss', { reduction: 'reduction', beta: 'beta' }),
  HuberLoss: lossArgs('HuberLoss', { reduction: 'reduction', delta: 'delta' }),
  KLDivLoss: lossArgs('KLDivLoss', { reduction: 'reduction', logTarget: 'log_target' }),
  CosineEmbeddingLoss: lossArgs('CosineEmbeddingLoss', { margin: 'margin', reduction: 'reduction' }),
  MarginRankingLoss: lossArgs('MarginRankingLoss', { margin: 'margin', reduction: 'reduction' }),
  TripletMarginLoss: lossArgs('TripletMarginLoss', { margin: 'margin', p: 'p', eps: 'eps', swap: 'swap', reduction: 'reduction' }),
  // PyTorch's repr does not say bias=False (LayerNorm's bias option, torch >= 2.1).
  LayerNorm: (m) => `nn.LayerNorm(${m.extraRepr()}${m.weight !== null && m.bias === null ? ', bias=False' : ''})`,
  RNN: (m) => `nn.RNN(${recurrentArgs(m)})`,
  LSTM: (m) => `nn.LSTM(${recurrentArgs(m)})`,
  GRU: (m) => `nn.GRU(${recurrentArgs(m)})`,
  RNNCell: (m) => `nn.RNNCell(${recurrentArgs(m)})`,
  LSTMCell: (m) => `nn.LSTMCell(${recurrentArgs(m)})`,
  GRUCell: (m) => `nn.GRUCell(${recurrentArgs(m)})`,
  MultiheadAttention: (m) =>
    `nn.MultiheadAttention(${m.embedDim}, ${m.numHeads}, dropout=${py(m.dropout)}, bias=${py(m.in_proj_bias !== null)}, ` +
    `batch_first=${py(m.batchFirst)}, kdim=${m.kdim}, vdim=${m.vdim})`,
  TransformerEncoderLayer: (m) =>
    `nn.TransformerEncoderLayer(${m.dModel}, ${m.nhead}, dim_feedforward=${m.linear1.weight.shape[0]}, ` +
    `dropout=${py(m.dropout.p)}, activation=${py(typeof m.opts.activation === 'string' ? m.opts.activation : 'relu')}, ` +
    `layer_norm_eps=${py(m.opts.layerNormEps ?? 1e-5)}, batch_first=${py(m.opts.batchFirst ?? false)}, norm_first=${py(m.normFirst)})`,
  TransformerEncoder: (m, ctor) =>
    `nn.TransformerEncoder(${ctor(m.layers[0])}, ${m.numLayers}` + `${m.norm ? `, norm=${ctor(m.norm)}` : ''}, enable_nested_tensor=False)`,
};

const CONTAINERS = new Set(['Sequential', 'ModuleList', 'ModuleDict']);

/** tapegrad modules PyTorch has no nn class for: exporting one throws, naming it. */
const LIBRARY_WITHOUT_TWIN = new Set<string>([]);

// ---- ops a user's forward may run, in torch ----------------------------------------------------

type OpWriter = (ins: string[], attrs: any, x: readonly Tensor[], y: Tensor, batch: number) => string;

const binary =
  (sym: string): OpWriter =>
  (ins) =>
    `${ins[0]} ${sym} ${ins[1]}`;
const fn =
  (name: string): OpWriter =>
  (ins) =>
    `${name}(${ins.join(', ')})`;

/** A shape whose leading axis is the sample's batch is written with -1 there, so any batch size runs. */
function dynamicShape(shape: readonly number[], batch: number): string {
  const dims = shape.map(String);
  if (shape.length > 0 && shape[0] === batch) dims[0] = '-1';
  return `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`;
}

const OPS: Record<string, OpWriter> = {
  add: binary('+'),
  sub: binary('-'),
  mul: binary('*'),
  div: binary('/'),
  pow: fn('torch.pow'),
  maximum: fn('torch.maximum'),
  minimum: fn('torch.minimum'),
  neg: (ins) => `-${ins[0]}`,
  exp: fn('torch.exp'),
  log: fn('torch.log'),
  sqrt: fn('torch.sqrt'),
  abs: fn('torch.abs'),
  relu: fn('torch.relu'),
  tanh: fn('torch.tanh'),
  sigmoid: fn('torch.sigmoid'),
  matmul: (ins, attrs) =>
    `torch.matmul(${attrs?.transA ? `${ins[0]}.transpose(-1, -2)` : ins[0]}, ${attrs?.transB ? `${ins[1]}.transpose(-1, -2)` : ins[1]})` +
    (ins.length === 3 ? ` + ${ins[2]}` : ''),
  reshape: (ins, attrs, x, y, batch) => `${ins[0]}.reshape${dynamicShape(y.shape, batch)}`,
  expand: (ins, attrs, x, y, batch) => `${ins[0]}.expand${dynamicShape(y.shape, batch)}`,
  transpose: (ins, attrs) => `${ins[0]}.permute(${attrs.perm.join(', ')})`,
  concat: (ins, attrs) => `torch.cat([${ins.join(', ')}], dim=${attrs.axis})`,
  sum: (ins, attrs) => `${ins[0]}.sum(dim=${py(attrs.axes)}, keepdim=${py(attrs.keepDims)})`,
  max: (ins, attrs) => `${ins[0]}.amax(dim=${py(attrs.axes)}, keepdim=${py(attrs.keepDims)})`,
  stopGradient: (ins) => `${ins[0]}.detach()`,
  // The indicator [x > 0] in x's dtype (Note [step masks]) that leakyRelu, elu, softplus … are made of.
  step: (ins) => `(${ins[0]} > 0).to(${ins[0]}.dtype)`,
  // math.ts's elementwise functions keep PyTorch's names (round is half to even in both).
  ...Object.fromEntries(ELEMENTWISE_MATH.map((op) => [op, fn(`torch.${op}`)])),
  cast: (ins, attrs, x, y) => `${ins[0]}.to(torch.${y.dtype})`,
  clone: (ins) => `${ins[0]}.clone()`,
  // The fused primitives of the transformer path (issue 29) and their torch functions.
  gelu: (ins, attrs) => `torch.nn.functional.gelu(${ins[0]}, approximate=${py(attrs.approximate)})`,
  softmax: (ins, attrs) => `torch.softmax(${ins[0]}, dim=${attrs.axis})`,
  logSoftmax: (ins, attrs) => `torch.log_softmax(${ins[0]}, dim=${attrs.axis})`,
  // The fused attention as the composition it computes (Note [fused attention] in src/ops/attention.ts).
  attention: (ins, attrs, x) => {
    const [L, S] = [x[0].shape[x[0].ndim - 2], x[1].shape[x[1].ndim - 2]];
    const mask = ins.length === 4 ? ` + ${ins[3]}` : '';
    const causal = attrs.causal ? ` + torch.full((${L}, ${S}), float('-inf'), dtype=${ins[0]}.dtype, device=${ins[0]}.device).triu(1)` : '';
    return `torch.matmul(torch.softmax(torch.matmul(${ins[0]} * ${py(attrs.scale)}, ${ins[1]}.transpose(-1, -2))${mask}${causal}, dim=-1), ${ins[2]})`;
  },
  layerNorm: (ins, attrs, x) =>
    `torch.nn.functional.layer_norm(${ins[0]}, ${py(x[0].shape.slice(x[0].ndim - attrs.k))}, ` +
    `${attrs.hasWeight ? ins[1] : 'None'}, ${attrs.hasBias ? ins[attrs.hasWeight ? 2 : 1] : 'None'}, eps=${py(attrs.eps)})`,
  slice: (ins, attrs, x, y, batch) =>
    `${ins[0]}[${attrs.starts
      .map((s: number, i: number) =>
        s === 0 && (attrs.ends[i] >= x[0].shape[i] || (i === 0 && x[0].shape[0] === batch)) ? ':' : `${s}:${attrs.ends[i]}`,
      )
      .join(', ')}]`,
};

// ---- the export ---------------------------------------------------------------------------------

/** Python names: camelCase options become PyTorch's snake_case keywords. */
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

class Writer {
  private readonly classes = new Map<string, string>();
  private readonly classNames = new Map<string, number>();
  private readonly callsOf = new Map<AnyModule, Call[]>();
  private readonly tensorsOfFrame = new Map<number, Tensor[]>();

  constructor(
    calls: Call[],
    graph: Tensor[],
    private readonly batch: number,
  ) {
    for (const c of calls) {
      const list = this.callsOf.get(c.module) ?? [];
      list.push(c);
      this.callsOf.set(c.module, list);
    }
    for (const t of graph) {
      // An op recorded inside a composite (a linear, a softmax) belongs to the module whose forward called it.
      const frame = moduleFrame(t.node?.scope ?? null)?.id;
      if (frame === undefined) continue;
      const list = this.tensorsOfFrame.get(frame) ?? [];
      list.push(t);
      this.tensorsOfFrame.set(frame, list);
    }
    this.allCalls = calls;
  }

  private readonly allCalls: Call[];

  /** The Python expression that constructs m (as a child in its parent's __init__). */
  construct(m: AnyModule, path: string): string {
    const name = m.constructor.name;
    if (name === 'Sequential')
      return `nn.Sequential(${this.children(m)
        .map(([k, c]) => this.construct(c, join(path, k)))
        .join(', ')})`;
    if (name === 'ModuleList')
      return `nn.ModuleList([${this.children(m)
        .map(([k, c]) => this.construct(c, join(path, k)))
        .join(', ')}])`;
    if (name === 'ModuleDict')
      return `nn.ModuleDict({${this.children(m)
        .map(([k, c]) => `${py(k)}: ${this.construct(c, join(path, k))}`)
        .join(', ')}})`;
    if (name in BY_FIELDS) return BY_FIELDS[name](m as unknown as Fields, (c) => this.construct(c, path));
    if (BY_REPR.has(name)) return `nn.${name}(${m.extraRepr().replace(/\n/g, ' ')})`;
    if (LIBRARY_WITHOUT_TWIN.has(name)) {
      throw new Error(`toTorch: ${name}${path ? ` (at ${path})` : ''} has no PyTorch counterpart`);
    }
    return `${this.userClass(m, path)}()`;
  }

  private children(m: AnyModule): [string, AnyModule][] {
    return m.namedChildren();
  }

  /**
   * How m's forward reaches `target` in Python: `.key` for a child, and through containers (a
   * ModuleList, ModuleDict or Sequential child, as a user's forward loops over its layers) by
   * indexing: `.layers[2]`, `.heads['a']`, `.blocks[0][1]`. Undefined when target is none of these.
   */
  private accessor(m: AnyModule, target: AnyModule): string | undefined {
    const search = (parent: AnyModule, prefix: string, top: boolean): string | undefined => {
      for (const [key, c] of this.children(parent)) {
        const here = top ? `${prefix}.${key}` : parent.constructor.name === 'ModuleDict' ? `${prefix}[${py(key)}]` : `${prefix}[${key}]`;
        if (c === target) return here;
        if (CONTAINERS.has(c.constructor.name)) {
          const found = search(c, here, false);
          if (found !== undefined) return found;
        }
      }
      return undefined;
    };
    return search(m, '', true);
  }

  /** A user's module: a Python class of its own (two instances that write the same class share it). */
  private userClass(m: AnyModule, path: string): string {
    const base = m.constructor.name || 'Module';
    const init = this.initBody(m, path);
    const forward = this.forwardBody(m, path);
    const body = `(nn.Module):\n    def __init__(self):\n        super().__init__()\n${init}\n\n    def forward(${forward.params}):\n${forward.body}\n\n`;
    for (const [cls, text] of this.classes) if (text === body) return cls;
    const n = (this.classNames.get(base) ?? 0) + 1;
    this.classNames.set(base, n);
    const cls = n === 1 ? base : `${base}_${n}`;
    this.classes.set(cls, body);
    return cls;
  }

  private initBody(m: AnyModule, path: string): string {
    const lines: string[] = [];
    const own = ownTensors(m);
    for (const [name, t] of own.params) lines.push(`self.${name} = nn.Parameter(torch.zeros(${py([...t.shape])}, dtype=torch.${t.dtype}))`);
    for (const [name, t] of own.buffers)
      lines.push(`self.register_buffer(${py(name)}, torch.zeros(${py([...t.shape])}, dtype=torch.${torchDtype(t)}))`);
    for (const [key, child] of this.children(m)) lines.push(`self.${key} = ${this.construct(child, join(path, key))}`);
    for (const [key, value] of Object.entries(m)) {
      // A child slot left empty (e.g. `bn = null` when batch norm is off) is kept, as forward may test it.
      if (value === null && !key.startsWith('_') && !own.params.some(([n]) => n === key)) lines.push(`self.${key} = None`);
    }
    return lines.length === 0 ? '        pass' : lines.map((l) => `        ${l}`).join('\n');
  }

  private forwardBody(m: AnyModule, path: string): { params: string; body: string } {
    const calls = this.callsOf.get(m);
    const where = `${m.constructor.name}${path ? ` (at ${path})` : ''}`;
    if (calls === undefined) throw new Error(`toTorch: ${where} never ran on the sample, so its forward cannot be traced`);
    const call = calls[0];
    const names = new Map<Tensor, string>();
    const own = ownTensors(m);
    for (const [name, t] of [...own.params, ...own.buffers]) names.set(t, `self.${name}`);
    const params = ['self'];
    let argIndex = 0;
    const bindArg = (a: unknown): void => {
      if (a instanceof Tensor) {
        const name = argIndex === 0 ? 'x' : `x${argIndex}`;
        argIndex++;
        if (!names.has(a)) names.set(a, name);
        params.push(name);
      } else if (a !== undefined) {
        throw new Error(`toTorch: ${where}.forward takes a ${typeof a} argument; only tensor arguments can be traced`);
      }
    };
    call.args.forEach(bindArg);
    let counter = 0;
    const fresh = () => `t${++counter}`;
    const events: { seq: number; line: () => string }[] = [];
    for (const child of this.allCalls.filter((c) => c.parentFrame === call.frame)) {
      const key = this.accessor(m, child.module);
      if (key === undefined) throw new Error(`toTorch: ${where}.forward calls a module that is not one of its children`);
      events.push({
        seq: child.seq,
        line: () => {
          // Arguments first: a module may return its input itself (Dropout in eval mode).
          const args = this.args(child.args, names, where);
          return `${this.bindOut(child.out, names, fresh)} = self${key}(${args})`;
        },
      });
    }
    for (const t of this.tensorsOfFrame.get(call.frame) ?? []) {
      const node = t.node!;
      events.push({
        seq: node.id,
        line: () => {
          const writer = OPS[node.op];
          if (writer === undefined) throw new Error(`toTorch: ${where}.forward runs ${node.op}, which has no PyTorch spelling here`);
          const ins = node.inputs.map((x) => this.operand(x, names, where));
          const name = fresh();
          names.set(t, name);
          return `${name} = ${writer(ins, node.attrs, node.inputs, t, this.batch)}`;
        },
      });
    }
    events.sort((a, b) => a.seq - b.seq);
    const lines = events.map((e) => e.line());
    lines.push(`return ${this.value(call.out, names, where)}`);
    return { params: params.join(', '), body: lines.map((l) => `        ${l}`).join('\n') };
  }

  private bindOut(out: unknown, names: Map<Tensor, string>, fresh: () => string): string {
    if (out instanceof Tensor) {
      const name = fresh();
      names.set(out, name);
      return name;
    }
    if (Array.isArray(out)) return `(${out.map((o) => this.bindOut(o, names, fresh)).join(', ')}${out.length === 1 ? ',' : ''})`;
    if (out === null || out === undefined) return '_';
    throw new Error(`toTorch: a module returned a ${typeof out}, which model.py cannot name`);
  }

  private args(args: readonly unknown[], names: Map<Tensor, string>, where: string): string {
    const out: string[] = [];
    for (const a of args) {
      if (a === undefined) continue;
      if (a instanceof Tensor || Array.isArray(a)) out.push(this.value(a, names, where));
      else if (a !== null && typeof a === 'object') {
        for (const [k, v] of Object.entries(a)) if (v !== undefined) out.push(`${snake(k)}=${this.value(v, names, where)}`);
      } else out.push(py(a));
    }
    return out.join(', ');
  }

  private value(v: unknown, names: Map<Tensor, string>, where: string): string {
    if (v instanceof Tensor) return this.operand(v, names, where);
    if (Array.isArray(v)) return `(${v.map((x) => this.value(x, names, where)).join(', ')}${v.length === 1 ? ',' : ''})`;
    return py(v);
  }

  private operand(x: Tensor, names: Map<Tensor, string>, where: string): string {
    const name = names.get(x);
    if (name !== undefined) return name;
    if (x.size === 1 && x.node === null) return py(Number(x.data[0]));
    throw new Error(`toTorch: ${where}.forward uses a constant tensor ${fmt(x.shape)} that model.py cannot write`);
  }

  source(className: string, root: AnyModule): string {
    const head = [
      '"""A tapegrad model as a PyTorch module, written by tapegrad\'s export (tg.export.toTorch).',
      '',
      "Its state_dict() keys are tapegrad's, so weights.safetensors loads into it unchanged:",
      '    model = load()   # Model() with the weights beside this file',
      '"""',
      'import json, os, struct',
      '',
      'import torch',
      'from torch import nn',
      '',
    ];
    const name = root.constructor.name;
    let rootClass: string;
    if (name === 'Sequential' || name === 'ModuleList' || name === 'ModuleDict' || name in BY_FIELDS || BY_REPR.has(name)) {
      // A library layer at the root: Model is its torch class, constructed with the same arguments.
      const expr = this.construct(root, '');
      const open = expr.indexOf('(');
      const args =
        name === 'Sequential'
          ? this.children(root)
              .map(([k, c]) => `\n            ${this.construct(c, k)},`)
              .join('') + '\n        '
          : expr.slice(open + 1, -1);
      rootClass = `class ${className}(${expr.slice(0, open)}):\n    def __init__(self):\n        super().__init__(${args})\n`;
    } else {
      const cls = this.construct(root, '').slice(0, -2);
      rootClass = cls === className ? '' : `${className} = ${cls}\n`;
    }
    const classes = [...this.classes].map(([cls, body]) => `class ${cls}${body}`);
    const bind = rootClass;
    return [...head, ...classes, bind, LOADER].join('\n');
  }
}

function join(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

function torchDtype(t: Tensor): string {
  return t.dtype === 'int32' ? 'int64' : t.dtype;
}

function ownTensors(m: AnyModule): { params: [string, Tensor][]; buffers: [string, Tensor][] } {
  const direct = ([n]: [string, Tensor]) => !n.includes('.');
  return { params: m.namedParameters().filter(direct), buffers: m.namedBuffers().filter(direct) };
}

/**
 * The part of model.py that reads and writes safetensors with torch alone (the package when it is there),
 * and `load()`, which builds `Model()` with the weights; also the tail of the family runs' model.py
 * (src/train/torch-program-families.ts).
 */
export const LOADER = `
_DTYPES = {'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16,
           'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}


def read_safetensors(path):
    """The tensors of a safetensors file, by name (the safetensors package when installed, else torch alone)."""
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    header.pop('__metadata__', None)
    body = data[8 + n:]
    out = {}
    for name, e in header.items():
        start, end = e['data_offsets']
        raw = bytearray(body[start:end])
        t = torch.frombuffer(raw, dtype=_DTYPES[e['dtype']]) if end > start else torch.zeros(0, dtype=_DTYPES[e['dtype']])
        out[name] = t.reshape(e['shape']).clone()
    return out


def write_safetensors(tensors, path, metadata=None):
    """Writes tensors (name -> tensor) as safetensors, atomically (the safetensors package when installed)."""
    tmp = path + '.tmp'
    tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    try:
        from safetensors.torch import save_file
        save_file(tensors, tmp, metadata=metadata)
    except ImportError:
        names = {v: k for k, v in _DTYPES.items()}
        header, offset, chunks = {}, 0, []
        for name in sorted(tensors, key=lambda k: (-tensors[k].element_size(), k)):
            t = tensors[name]
            raw = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
            header[name] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
            offset += len(raw)
            chunks.append(raw)
        if metadata:
            header['__metadata__'] = metadata
        text = json.dumps(header, separators=(',', ':')).encode()
        text += b' ' * ((8 - len(text) % 8) % 8)
        with open(tmp, 'wb') as f:
            f.write(struct.pack('<Q', len(text)))
            f.write(text)
            for c in chunks:
                f.write(c)
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


def load(path=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'weights.safetensors')):
    """Model() with the weights of path, in the weights' dtype."""
    weights = read_safetensors(path)
    model = Model()
    floats = [t.dtype for t in weights.values() if t.is_floating_point()]
    if floats:
        model = model.to(floats[0])
    state = model.state_dict()
    model.load_state_dict({k: v.to(state[k].dtype) if k in state else v for k, v in weights.items()})
    return model
`;

/**
 * model.py and weights.safetensors for `model` (SPEC §17). The model runs once on `sample` in eval
 * mode, without touching its parameters' gradients, to trace the forward of its own classes (Note
 * [tracing a forward for PyTorch]); its train/eval mode is restored after.
 */
export function toTorch(model: Module<any, any>, sample: Tensor, opts: ToTorchOptions = {}): TorchExport {
  if (!(model instanceof Module)) throw new Error('toTorch: expected an nn.Module');
  if (!(sample instanceof Tensor)) throw new Error('toTorch: expected a sample Tensor to trace the model on');
  const className = opts.className ?? 'Model';
  const calls: Call[] = [];
  const stack: Call[] = [];
  const wasTraining = model.training;
  const params = model.parameters();
  const grads = params.map((p) => p.grad);
  model.eval();
  let out: unknown;
  const before = setModuleCallObserver({
    enter(module, args) {
      const call: Call = {
        module,
        args,
        out: undefined,
        frame: currentFrame(),
        parentFrame: stack.length > 0 ? stack[stack.length - 1].frame : 0,
        // Between the last node made before the call (whose id is nodesCreated()) and the next: an op
        // that made the call's input sorts before it, however the events are listed.
        seq: nodesCreated() + 0.5,
      };
      calls.push(call);
      stack.push(call);
      return call;
    },
    exit(call: Call, result) {
      call.out = result;
      stack.pop();
    },
  });
  try {
    const x = sample.detach();
    if (x.dtype === 'float32' || x.dtype === 'float64') x.requiresGrad = true;
    out = model.forward(x);
  } finally {
    setModuleCallObserver(before);
    model.train(wasTraining);
    params.forEach((p, i) => (p.grad = grads[i]));
  }
  const graph = topoSort(flatTensors(out));
  const writer = new Writer(calls, graph, sample.shape[0] ?? 1);
  const source = writer.source(className, model);
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of [...model.namedParameters(), ...model.namedBuffers()]) tensors[name] = noGrad(() => t.detach());
  return { 'model.py': source, 'weights.safetensors': saveBytes(tensors, { format: 'pt', producer: 'tapegrad' }) };
}

function flatTensors(v: unknown): Tensor[] {
  if (v instanceof Tensor) return [v];
  if (Array.isArray(v)) return v.flatMap(flatTensors);
  return [];
}

/** The module frame at or above `frame`: composite ops' frames are not modules (Note [composite scopes]). */
function moduleFrame(frame: ScopeFrame | null): ScopeFrame | null {
  let f = frame;
  while (f !== null && f.composite !== undefined) f = f.parent;
  return f;
}

function currentFrame(): number {
  return moduleFrame(currentScope())?.id ?? 0;
}
