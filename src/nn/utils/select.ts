/** @file Reordering along one axis by a list of positions, as slices and one concat (internal to nn). */
import { concat, slice } from '../../ops/shape';
import { Tensor } from '../../tensor/tensor';

/** x's slices along `axis` at `index`, in that order; x itself when the order is the identity. */
export function selectAlong(x: Tensor, axis: number, index: readonly number[]): Tensor {
  if (index.length === x.shape[axis] && index.every((v, i) => v === i)) return x;
  const at = (i: number) => {
    const starts = x.shape.map((_, d) => (d === axis ? i : 0));
    const ends = x.shape.map((n, d) => (d === axis ? i + 1 : n));
    return slice(x, starts, ends);
  };
  return concat(index.map(at), axis);
}
