/**
 * @file Module parity with PyTorch, in float64: a tapegrad module and the PyTorch source of the same
 * module get the same weights (tapegrad's, copied into PyTorch by PyTorch's parameter and buffer
 * names), run forward on the same input in the same mode, and backward with the same random upstream
 * gradient; outputs, input gradients, parameter gradients and buffers after the step must agree.
 * All cases of a file go to PyTorch in one process (starting torch takes seconds).
 */
import * as tg from '../src';
import { decodeTensor, encodeTensor, runTorch, TensorJson } from './torch-harness';

export interface ParityCase {
  name: string;
  /** A float64 tapegrad module. */
  module: () => tg.nn.AnyModule;
  /** The PyTorch module, e.g. `nn.LayerNorm([3, 4])` (evaluated with torch.nn as nn, double precision). */
  torch: string;
  /** The input(s): one tensor or several (forward gets them positionally). Float inputs get gradients. */
  inputs: () => tg.Tensor[];
  /** Eval mode instead of training mode. */
  eval?: boolean;
  /** Compare the input gradients (default true for float inputs). */
  inputGrads?: boolean;
}

/** camelCase property names as PyTorch's snake_case (runningMean -> running_mean). */
export const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

interface Result {
  y: TensorJson;
  gx: (TensorJson | null)[];
  grads: Record<string, TensorJson | null>;
  buffers: Record<string, TensorJson>;
}

const SCRIPT = `
import torch.nn as nn
import torch.nn.functional as F
out = []
for c in job['cases']:
    m = eval(c['torch']).double()
    params = dict(m.named_parameters())
    buffers = dict(m.named_buffers())
    with torch.no_grad():
        for k, v in c['params'].items():
            params[k].copy_(tensor_from(v))
        for k, v in c['buffers'].items():
            buffers[k].copy_(tensor_from(v).to(buffers[k].dtype))
    m.train(not c['eval'])
    xs = [tensor_from(j, j['dtype'].startswith('float')) for j in c['inputs']]
    y = m(*xs)
    (y * tensor_from(c['g'])).sum().backward()
    out.append({'y': y, 'gx': [x.grad for x in xs],
                'grads': {k: p.grad for k, p in m.named_parameters()},
                'buffers': {k: b for k, b in m.named_buffers()}})
emit(out)
`;

function close(what: string, a: tg.Tensor, b: TensorJson, rtol = 1e-10, atol = 1e-12): void {
  const want = decodeTensor(b);
  if (!tg.sameShape(a.shape, want.shape)) throw new Error(`${what}: shape ${tg.fmt(a.shape)}, PyTorch ${tg.fmt(want.shape)}`);
  for (let i = 0; i < a.size; i++) {
    const v = a.data[i];
    const e = want.data[i];
    if (Number.isNaN(e) && Number.isNaN(v)) continue;
    if (!(Math.abs(v - e) <= atol + rtol * Math.abs(e))) throw new Error(`${what}: element ${i} is ${v}, PyTorch ${e}`);
  }
}

/** Runs every case in tapegrad and in PyTorch (one process) and throws on the first disagreement. */
export function checkParity(cases: ParityCase[]): void {
  const prepared = cases.map((c) => {
    const m = c.module();
    const xs = c.inputs();
    const upstreamSeed = tg.rng(`parity ${c.name}`);
    return { c, m, xs, upstreamSeed };
  });
  // Build the jobs from the state before any forward (forward may update buffers).
  const jobs = prepared.map(({ c, m, xs }) => ({
    torch: c.torch,
    eval: c.eval ?? false,
    params: Object.fromEntries(m.namedParameters().map(([k, p]) => [k, encodeTensor(p)])),
    buffers: Object.fromEntries(m.namedBuffers().map(([k, b]) => [k.split('.').map(snake).join('.'), encodeTensor(b)])),
    inputs: xs.map(encodeTensor),
  }));
  const ours = prepared.map(({ c, m, xs, upstreamSeed }, k) => {
    if (c.eval) m.eval();
    const leaves = xs.map((x) => (x.dtype === 'float64' ? tg.tensor(x.data, { shape: x.shape, dtype: 'float64', requiresGrad: true }) : x));
    const y = (m.forward as (...a: tg.Tensor[]) => tg.Tensor)(...leaves);
    const g = tg.randn([...y.shape], { rng: upstreamSeed, dtype: 'float64' });
    (jobs[k] as Record<string, unknown>).g = encodeTensor(g);
    tg.sum(tg.mul(y, g)).backward();
    return { y, leaves };
  });
  const results = runTorch<Result[]>(SCRIPT, { cases: jobs });
  prepared.forEach(({ c, m }, k) => {
    const r = results[k];
    const { y, leaves } = ours[k];
    close(`${c.name}: output`, y, r.y);
    if (c.inputGrads ?? true) {
      leaves.forEach((x, i) => {
        const want = r.gx[i];
        if (want === null || want === undefined) return;
        if (x.grad === null) throw new Error(`${c.name}: input ${i} has no gradient, PyTorch has one`);
        close(`${c.name}: input ${i} gradient`, x.grad, want);
      });
    }
    for (const [name, p] of m.namedParameters()) {
      const want = r.grads[name];
      if (want === null || want === undefined) {
        if (p.grad !== null && p.grad.data.some((v) => v !== 0)) throw new Error(`${c.name}: ${name} has a gradient, PyTorch none`);
        continue;
      }
      if (p.grad === null) throw new Error(`${c.name}: parameter ${name} has no gradient`);
      close(`${c.name}: ${name} gradient`, p.grad, want);
    }
    for (const [name, b] of m.namedBuffers()) {
      const want = r.buffers[name.split('.').map(snake).join('.')];
      if (want === undefined) throw new Error(`${c.name}: PyTorch has no buffer ${name}`);
      close(`${c.name}: buffer ${name}`, b, want);
    }
  });
}
