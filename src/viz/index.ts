/**
 * @file Drawing graphs (SPEC §8): DOT text, SVG without a system Graphviz, and files of either.
 * Outside the engine: it only reads tensors and their nodes.
 */
// Every Tensor method exists once any layer is loaded (Note [methods installed in one place]).
import '../ops/tensor-methods';
export { toDot } from './dot';
export type { DotOptions } from './dot';
export { toHtml } from './html';
export type { HtmlOptions } from './html';
export { traceBackward } from './trace';
export { toSvg } from './svg';
export { writeGraph } from './render';
export { viewGraph } from './view';
export type { GraphView, OpVertex, TensorVertex } from './view';

// Pictures of image tensors, as torchvision.utils (SPEC §16).
export { makeGrid, saveImage } from './images';
export type { MakeGridOptions } from './images';
