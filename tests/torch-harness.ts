/**
 * @file PyTorch as the reference for parity tests: runs a Python snippet under Debian's torch
 * (`python3-torch`, which .ci/run installs) with a JSON job on stdin, and returns the JSON it prints.
 *
 * Note [torch parity never skips]: a parity test whose reference is missing must fail, not pass
 * quietly, so `runTorch` throws a message that says how to install torch. The interpreter is
 * /usr/bin/python3 (Debian's, where python3-torch lives) unless TAPEGRAD_TEST_PYTHON names another.
 *
 * Float64 values cross as JSON: both Python's json and JavaScript's JSON print the shortest string
 * that reads back as the same double, so numbers arrive bit for bit. NaN and ±Infinity travel as the
 * strings 'nan', 'inf' and '-inf' (`encodeTensor` / the Python prelude's `tensor_json`).
 */
import { spawnSync } from 'node:child_process';
import * as tg from '../src';

export const TORCH_PYTHON = process.env.TAPEGRAD_TEST_PYTHON ?? '/usr/bin/python3';

/** A tensor as JSON: shape, dtype and the values row-major (non-finite values as strings). */
export interface TensorJson {
  shape: number[];
  dtype: string;
  data: (number | string)[];
}

export function encodeTensor(t: tg.Tensor): TensorJson {
  const data: (number | string)[] = [];
  for (let i = 0; i < t.data.length; i++) {
    const v = Number(t.data[i]);
    data.push(Number.isFinite(v) ? v : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  }
  return { shape: [...t.shape], dtype: t.dtype, data };
}

export function decodeTensor(j: TensorJson): tg.Tensor {
  const values = j.data.map((v) => (typeof v === 'number' ? v : v === 'nan' ? NaN : v === 'inf' ? Infinity : -Infinity));
  const dtype = (j.dtype === 'int64' ? 'int32' : j.dtype) as tg.DType;
  return tg.tensor(values, { shape: j.shape, dtype });
}

/**
 * Python helpers every snippet gets: `job` (the decoded stdin JSON), `tensor_from(j)` (a TensorJson
 * to a torch tensor; float64 unless the JSON says otherwise), `tensor_json(t)` (back), and `emit(obj)`
 * (prints the result; tensors inside obj are converted).
 */
const PRELUDE = `
import json, sys, math
import torch
torch.set_default_dtype(torch.float64)
job = json.loads(sys.stdin.read())
_DT = {'float64': torch.float64, 'float32': torch.float32, 'int32': torch.int32, 'int64': torch.int64, 'bool': torch.bool}
def _num(v):
    if isinstance(v, str):
        return {'nan': math.nan, 'inf': math.inf, '-inf': -math.inf}[v]
    return v
def tensor_from(j, requires_grad=False):
    t = torch.tensor([_num(v) for v in j['data']], dtype=_DT[j.get('dtype', 'float64')]).reshape(j['shape'])
    return t.requires_grad_(True) if requires_grad else t
def _val(v):
    v = float(v)
    return v if math.isfinite(v) else ('nan' if math.isnan(v) else ('inf' if v > 0 else '-inf'))
def tensor_json(t):
    t = t.detach()
    dt = str(t.dtype).replace('torch.', '')
    flat = t.reshape(-1).tolist()
    data = [(_val(v) if t.is_floating_point() else int(v)) for v in flat]
    return {'shape': list(t.shape), 'dtype': dt, 'data': data}
def _conv(o):
    if isinstance(o, torch.Tensor):
        return tensor_json(o)
    if isinstance(o, dict):
        return {k: _conv(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_conv(v) for v in o]
    if isinstance(o, float) and not math.isfinite(o):
        return _val(o)
    return o
def emit(obj):
    sys.stdout.write(json.dumps(_conv(obj)))
`;

let checked: string | null = null;

/** Throws a clear error when torch cannot be imported (Note [torch parity never skips]). */
export function requireTorch(): string {
  if (checked !== null) return checked;
  const r = spawnSync(TORCH_PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `PyTorch parity tests need torch importable by ${TORCH_PYTHON} (Debian: apt-get install -y python3-torch, as .ci/run does); ` +
        `it failed: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`,
    );
  }
  checked = r.stdout.trim();
  return checked;
}

/** Runs `script` (after the prelude) with `job` on stdin; returns what it emitted, parsed. */
export function runTorch<T = any>(script: string, job: unknown = {}): T {
  requireTorch();
  const r = spawnSync(TORCH_PYTHON, ['-c', PRELUDE + '\n' + script], {
    input: JSON.stringify(job),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`torch script failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
