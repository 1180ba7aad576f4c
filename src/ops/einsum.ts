/**
 * @file einsum (torch.einsum / numpy.einsum) as a composition of diagonal, sum, expand, transpose,
 * reshape and matmul, so it is differentiable to any order without a rule of its own.
 *
 * Note [einsum plan]: the spec is parsed into one label list per operand ('...' becomes labels of
 * its own, right-aligned across operands so they broadcast as NumPy does). Then, per operand, a
 * label repeated inside it takes the diagonal (`ii->i`, traces) and a label no one else needs is
 * summed away. The operands are then contracted left to right, two at a time, as one batched matmul:
 * labels both share and still need later are the batch, labels both share and nobody needs are
 * contracted (the matmul's inner axis), the rest are each side's own rows and columns. Size-1 axes
 * broadcast against the other operand's size. Last, what is left is permuted into the output order.
 * Implicit mode (no `->`) outputs '...' and then the labels used once, in ASCII order, as PyTorch.
 */
import { fmt, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { expand, sum } from './broadcast';
import { matmul } from './matmul';
import { diagonal } from './rearrange';
import { reshape, transpose } from './shape';

/** An operand mid-plan: its tensor and the label of each of its axes. */
interface Term {
  x: Tensor;
  labels: string[];
}

const LETTER = /^[A-Za-z]$/;

/** One term of the spec as its letters, with '...' kept as one marker entry. */
function tokens(term: string, fail: (why: string) => Error): string[] {
  const out: string[] = [];
  for (let i = 0; i < term.length;) {
    if (term.startsWith('...', i)) {
      if (out.includes('...')) throw fail(`'...' appears twice in '${term}'`);
      out.push('...');
      i += 3;
    } else if (LETTER.test(term[i])) {
      out.push(term[i++]);
    } else throw fail(`invalid character '${term[i]}' in '${term}'`);
  }
  return out;
}

/** Sorts labels as PyTorch orders an implicit output: ASCII, so uppercase before lowercase. */
const ascii = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Einstein summation over the operands, e.g. `einsum('bij,bjk->bik', a, b)`, `einsum('ii', m)`, `einsum('...ij->...ji', x)`. */
export function einsum(spec: string, ...xs: Tensor[]): Tensor {
  const fail = (why: string) => new Error(`einsum: ${why} (spec '${spec}', operands ${xs.map((x) => fmt(x.shape)).join(', ')})`);
  const compact = spec.replace(/\s+/g, '');
  const arrow = compact.indexOf('->');
  const lhs = arrow < 0 ? compact : compact.slice(0, arrow);
  const rhs = arrow < 0 ? null : compact.slice(arrow + 2);
  if (rhs !== null && rhs.includes('->')) throw fail("more than one '->'");
  const inputTerms = lhs.split(',').map((t) => tokens(t, fail));
  if (inputTerms.length !== xs.length) throw fail(`${inputTerms.length} operand terms but ${xs.length} tensors`);
  if (xs.length === 0) throw fail('needs at least one operand');

  // Per operand, the number of axes '...' stands for; the widest sets how many ellipsis labels there are.
  const ellipsisRanks = inputTerms.map((t, k) => {
    const letters = t.filter((l) => l !== '...').length;
    const has = t.includes('...');
    if (has ? xs[k].ndim < letters : xs[k].ndim !== letters) {
      throw fail(`operand ${k} has ${xs[k].ndim} axes but its term '${t.join('')}' names ${letters}`);
    }
    return has ? xs[k].ndim - letters : 0;
  });
  const rank = Math.max(0, ...ellipsisRanks);
  const ellipsisLabels = (r: number) => Array.from({ length: r }, (_, i) => `.${rank - r + i}`);
  const expandTerm = (t: string[], r: number) => t.flatMap((l) => (l === '...' ? ellipsisLabels(r) : [l]));
  const terms: Term[] = xs.map((x, k) => ({ x, labels: expandTerm(inputTerms[k], ellipsisRanks[k]) }));

  // Each label's size: equal wherever it appears, or 1 (which broadcasts).
  const sizes = new Map<string, number>();
  for (const { x, labels } of terms) {
    labels.forEach((l, d) => {
      const n = x.shape[d];
      const seen = sizes.get(l);
      if (seen === undefined || seen === 1) sizes.set(l, n);
      else if (n !== seen && n !== 1) throw fail(`label '${l.startsWith('.') ? '...' : l}' has sizes ${seen} and ${n}`);
    });
  }

  let output: string[];
  if (rhs === null) {
    const counts = new Map<string, number>();
    for (const { labels } of terms) for (const l of labels) if (!l.startsWith('.')) counts.set(l, (counts.get(l) ?? 0) + 1);
    output = [
      ...ellipsisLabels(rank),
      ...[...counts]
        .filter(([, c]) => c === 1)
        .map(([l]) => l)
        .sort(ascii),
    ];
  } else {
    const outTokens = tokens(rhs, fail);
    output = expandTerm(outTokens, rank);
    for (const l of outTokens) {
      if (l !== '...' && !sizes.has(l)) throw fail(`output label '${l}' appears in no operand`);
    }
    if (new Set(outTokens).size !== outTokens.length) throw fail(`output '${rhs}' repeats a label`);
  }

  // Step 1 of Note [einsum plan]: diagonals for repeated labels, sums for labels only one operand has.
  const reduced = terms.map((term, k) => {
    let { x, labels } = term;
    for (;;) {
      const d1 = labels.findIndex((l, i) => labels.indexOf(l) !== i);
      if (d1 < 0) break;
      const d0 = labels.indexOf(labels[d1]);
      if (x.shape[d0] !== x.shape[d1])
        throw fail(`repeated label '${labels[d0]}' of operand ${k} has sizes ${x.shape[d0]} and ${x.shape[d1]}`);
      x = diagonal(x, 0, d0, d1);
      labels = [...labels.filter((_, i) => i !== d0 && i !== d1), labels[d0]];
    }
    const needed = (l: string) => output.includes(l) || terms.some((t, j) => j !== k && t.labels.includes(l));
    const drop = labels.map((l, d) => (needed(l) ? -1 : d)).filter((d) => d >= 0);
    if (drop.length > 0) {
      x = sum(x, drop);
      labels = labels.filter((_, d) => !drop.includes(d));
    }
    return { x, labels };
  });

  // Step 2: contract left to right.
  let acc = reduced[0];
  for (let k = 1; k < reduced.length; k++) {
    const later = new Set([...output, ...reduced.slice(k + 1).flatMap((t) => t.labels)]);
    acc = contract(acc, reduced[k], later, sizes);
  }

  // Step 3: sum what the output does not keep (a lone operand's broadcast leftovers), then permute.
  const extra = acc.labels.map((l, d) => (output.includes(l) ? -1 : d)).filter((d) => d >= 0);
  let y = acc.x;
  let labels = acc.labels;
  if (extra.length > 0) {
    y = sum(y, extra);
    labels = labels.filter((_, d) => !extra.includes(d));
  }
  // An output label that no remaining axis carries can only be a broadcast size-1 one.
  const missing = output.filter((l) => !labels.includes(l));
  if (missing.length > 0) {
    y = reshape(y, [...y.shape, ...missing.map(() => 1)]);
    labels = [...labels, ...missing];
  }
  const perm = output.map((l) => labels.indexOf(l));
  y = transpose(y, perm);
  const outShape = output.map((l) => sizes.get(l)!);
  return y.shape.every((n, d) => n === outShape[d]) ? y : expand(y, outShape);
}

/** Two terms as one batched matmul (Note [einsum plan]); `later` holds the labels still needed after. */
function contract(a: Term, b: Term, later: Set<string>, sizes: Map<string, number>): Term {
  const shared = a.labels.filter((l) => b.labels.includes(l));
  const batch = shared.filter((l) => later.has(l));
  const inner = shared.filter((l) => !later.has(l));
  const aOwn = a.labels.filter((l) => !b.labels.includes(l));
  const bOwn = b.labels.filter((l) => !a.labels.includes(l));
  const size = (l: string) => sizes.get(l)!;
  // Shared labels at their full size on both sides, so size-1 axes broadcast.
  const arrange = (t: Term, order: string[]) => {
    const y = transpose(
      t.x,
      order.map((l) => t.labels.indexOf(l)),
    );
    const full = order.map((l, d) => (shared.includes(l) ? size(l) : y.shape[d]));
    return y.shape.every((n, d) => n === full[d]) ? y : expand(y, full);
  };
  const av = arrange(a, [...batch, ...aOwn, ...inner]);
  const bv = arrange(b, [...batch, ...inner, ...bOwn]);
  const batchShape = batch.map(size);
  const aOwnShape = aOwn.map((l) => av.shape[batch.length + aOwn.indexOf(l)]);
  const bOwnShape = bOwn.map((l) => bv.shape[batch.length + inner.length + bOwn.indexOf(l)]);
  const k = sizeOf(inner.map(size));
  const y = matmul(reshape(av, [...batchShape, sizeOf(aOwnShape), k]), reshape(bv, [...batchShape, k, sizeOf(bOwnShape)]));
  return { x: reshape(y, [...batchShape, ...aOwnShape, ...bOwnShape]), labels: [...batch, ...aOwn, ...bOwn] };
}
