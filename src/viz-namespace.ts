/**
 * @file tg.viz as the package publishes it: the drawing library (src/viz) and the gallery of the
 * tutorial's graphs (src/gallery), which is an application of it and so lives outside it.
 */
export * from './viz';
export { GRAPH_NAMES, isGraphName, namedGraph } from './gallery/graphs';
export type { GraphName, NamedGraph, NamedGraphOptions } from './gallery/graphs';
