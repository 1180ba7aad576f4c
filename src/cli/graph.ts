/**
 * @file `tapegrad graph <name>`: draws one of the example graphs (src/viz/examples.ts) to an SVG
 * or DOT file. Exit status 0 when written, 2 for bad arguments, 1 when the file cannot be written.
 */
import { parseArgs } from 'node:util';
import { GRAPH_NAMES, isGraphName, namedGraph } from '../viz/examples';
import { argsError, attachNegativeNumbers } from '../train/options';
import { writeGraph } from '../viz/render';

const HELP = `usage: tapegrad graph <${GRAPH_NAMES.join('|')}> [--expand] [--values] [--grads] [--out FILE]

Draws a computation graph as SVG (no system Graphviz needed) or as DOT text.

  conv1d   the tutorial's 1-D convolution: x = (0,1,2,3,4), w = (1,-1,2), 'valid';
           always shows values and gradients (dL/dy = (1,2,3))
  conv2d   the tutorial's layer: 5x5x3 input, 2 filters of 3x3x3, stride 2, pad 1
  mlp      an MLP (64 -> 32 -> 10) on two digits, clustered by module
  cnn      a CNN (conv, relu, pool twice, linear) on two digits, clustered by module

  --expand         conv1d, conv2d: one multiply node per product x_i*w_j (the tutorial's figure)
  --values         show tensor values (min/mean/max for tensors of more than 16 values)
  --grads          show gradients (the graph has run backward once)
  --collapse N     draw modules nested deeper than N as single nodes (1: one node per layer)
  --rankdir LR|TB  flow left to right (default) or top to bottom
  --out FILE       .svg or .dot; default <name>[-expanded][-values][-grads][-collapseN][-tb].svg
                   in the current directory, named after every flag given`;

const OPTIONS = {
  expand: { type: 'boolean' },
  values: { type: 'boolean' },
  grads: { type: 'boolean' },
  collapse: { type: 'string' },
  rankdir: { type: 'string' },
  out: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

const usageError = (message: string): number => {
  console.error(`tapegrad graph: ${message} (tapegrad graph --help shows the options)`);
  return 2;
};

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: attachNegativeNumbers(args, OPTIONS), allowPositionals: true, options: OPTIONS });
  } catch (e) {
    return usageError(argsError(e, OPTIONS));
  }
  const { values: flags, positionals } = parsed;
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    return usageError(positionals.length === 0 ? `name a graph (${GRAPH_NAMES.join(', ')})` : `expected one graph name, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  const name = positionals[0];
  if (!isGraphName(name)) return usageError(`unknown graph '${name}' (graphs: ${GRAPH_NAMES.join(', ')})`);
  const expand = flags.expand ?? false;
  if (expand && name !== 'conv1d' && name !== 'conv2d') return usageError(`--expand applies to conv1d and conv2d, not ${name}`);
  let collapse: number | undefined;
  if (flags.collapse !== undefined) {
    if (!/^\d+$/.test(flags.collapse)) return usageError(`--collapse must be a non-negative integer, got '${flags.collapse}'`);
    collapse = Number(flags.collapse);
  }
  const rankdir = flags.rankdir ?? 'LR';
  if (rankdir !== 'LR' && rankdir !== 'TB') return usageError(`--rankdir must be LR or TB, got '${rankdir}'`);
  // The default name says what was drawn, so differently drawn graphs never overwrite each other.
  const out = flags.out ?? `${name}${expand ? '-expanded' : ''}${flags.values ? '-values' : ''}${flags.grads ? '-grads' : ''}` +
    `${collapse !== undefined ? `-collapse${collapse}` : ''}${rankdir === 'TB' ? '-tb' : ''}.svg`;
  if (!/\.(svg|dot|gv)$/i.test(out)) return usageError(`--out must end in .svg or .dot, got '${out}'`);

  const graph = namedGraph(name, { expand });
  const options = {
    ...graph.options,
    values: graph.options.values || (flags.values ?? false),
    grads: graph.options.grads || (flags.grads ?? false),
    rankdir: rankdir as 'LR' | 'TB',
    ...(collapse !== undefined ? { collapse } : {}),
  };
  try {
    await writeGraph(out, graph.roots, options);
  } catch (e) {
    console.error(`tapegrad graph: ${(e as Error).message.replace(/^writeGraph: /, '')}`);
    return 1;
  }
  console.log(`tapegrad graph: wrote ${out}`);
  return 0;
}
