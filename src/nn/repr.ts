/**
 * @file Python's spelling of values, for `Module.toString()`: a model prints exactly as PyTorch's
 * `print(model)` prints the same architecture, so each module's `extraRepr()` writes its options the
 * way the matching `extra_repr` does (`kernel_size=(3, 3)`, `eps=1e-05`, `bias=False`).
 *
 * Note [python numbers]: JavaScript has one number type, Python two, and PyTorch prints a float
 * option as a float (`alpha=1.0`) and an int one as an int (`beta=1`). Each extraRepr says which its
 * option is, by calling `pyFloat` or `pyInt`; a float option the user set to 2 prints `2.0`, as it
 * does in PyTorch when the Python script wrote `2.0`.
 */

/** A float as Python's repr writes it: `1.0`, `0.1`, `1e-05`, `1e+16`, `inf`, `nan`. */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  // toExponential() with no argument gives the shortest digits that read back as v, as repr does.
  const [mantissa, e] = v.toExponential().split('e');
  const exponent = Number(e);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const s = String(v);
  return s.includes('.') ? s : `${s}.0`;
}

/** An int option; a fractional value (which Python would have printed as a float) as a float. */
export function pyInt(v: number): string {
  return Number.isInteger(v) ? String(v) : pyFloat(v);
}

/** A tuple of ints: `(3, 3)`, `(3,)`; `null` entries as `None`. */
export function pyTuple(xs: readonly (number | null)[]): string {
  const items = xs.map((x) => (x === null ? 'None' : pyInt(x)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** A number or a tuple of numbers, as the user gave it (PyTorch keeps pooling sizes as given). */
export function pyIntOrTuple(x: number | readonly (number | null)[] | null): string {
  if (x === null) return 'None';
  return typeof x === 'number' ? pyInt(x) : pyTuple(x);
}

export const pyBool = (b: boolean): string => (b ? 'True' : 'False');

export const pyStr = (s: string): string => `'${s}'`;

/** Indents every line but the first by two spaces (torch.nn.modules.module._addindent). */
export function addIndent(s: string): string {
  const lines = s.split('\n');
  return lines.length === 1 ? s : [lines[0], ...lines.slice(1).map((l) => `  ${l}`)].join('\n');
}
