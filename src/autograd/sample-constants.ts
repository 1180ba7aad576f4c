/**
 * @file Constants an op computes from its input's values outside the graph (under noGrad), marked
 * so that a tracer knows them. A graph records them as plain tensors: right for the values they came
 * from, but an exporter that turns a traced graph into a program for other inputs (toOnnx) would
 * freeze them into the sample's answer. toOnnx refuses a graph that holds one.
 */
import type { Tensor } from '../tensor/tensor';

const marked = new WeakMap<Tensor, string>();

/** Marks `t` as computed from input values; `what` names it for the error (e.g. "amax's tie mask"). */
export function markSampleDependent(t: Tensor, what: string): Tensor {
  marked.set(t, what);
  return t;
}

/** What a marked tensor is, or undefined for a true constant. */
export function sampleDependence(t: Tensor): string | undefined {
  return marked.get(t);
}
