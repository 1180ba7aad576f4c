/**
 * @file `tapegrad graph`: draws a computation graph to SVG, DOT or a graph page (.html) — one of the
 * example graphs (src/gallery/graphs.ts), the roots a user's script exports (--script), or a saved
 * run's model on one test image (RUN_DIR). Exit status 0 when written, 2 for bad arguments, 1 when
 * the file cannot be written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as data from '../data';
import { crossEntropy } from '../ops/loss';
import { Tensor } from '../tensor/tensor';
import { argsError, attachNegativeNumbers } from './args';
import { loadRun } from '../train/classic-run';
import { traceBackward } from '../viz/trace';
import { GRAPH_NAMES, isGraphName, namedGraph } from '../gallery/graphs';
import type { HtmlOptions } from '../viz/html';
import { writeGraph } from '../viz/render';
import { loadScript, ScriptError } from './script';

const HELP = `usage: tapegrad graph <${GRAPH_NAMES.join('|')}> [--expand] [--focus I,J,..] [--values] [--grads] [--out FILE]
       tapegrad graph lstm [--steps T] [--hidden H] [--expand] [--out FILE]
       tapegrad graph --script FILE [--out FILE]
       tapegrad graph RUN_DIR [--out FILE]

Draws a computation graph as SVG (no system Graphviz needed), DOT text, or a graph page (.html:
pan and zoom, click a node for its values and gradient, fold modules, search, dependencies).

  conv1d   the tutorial's 1-D convolution: x = (0,1,2,3,4), w = (1,-1,2), 'valid';
           always shows values and gradients (dL/dy = (1,2,3))
  conv2d   the tutorial's layer: 5x5x3 input, 2 filters of 3x3x3, stride 2, pad 1
  mlp      an MLP (64 -> 32 -> 10) on two digits, clustered by module
  cnn      a CNN (conv, relu, pool twice, linear) on two digits, clustered by module
  lstm     an LSTMCell(2, H) unrolled over T steps, L = mseLoss(h_T, y): one box per step labelled
           with the gradient norms flowing into it (‖∂L/∂h_t‖, ‖∂L/∂c_t‖), so vanishing or
           exploding gradients through time show; --expand draws every step's gates (i, f, g, o)
           with values and gradients (--steps 1 --expand: one cell)
  --script FILE   the roots FILE's default export returns: () => Tensor | Tensor[]
                  (.js, .cjs, .mjs; .ts with ts-node installed in your project)
  RUN_DIR         a 'tapegrad train' run: its model on one test image, with the loss and gradients

  --expand         conv1d, conv2d: one multiply node per product x_i*w_j (the tutorial's figure);
                   lstm: every step's ops instead of one box per step
  --steps T        lstm: time steps, 1 to 32 (default 6)
  --hidden H       lstm: hidden size, 1 to 16 (default 2)
  --focus I,J,..   with --expand: only what output element [I,J,..] needs (e.g. 0,1,2,2)
  --values         show tensor values (min/mean/max for tensors of more than 16 values)
  --grads          show gradients (the graph has run backward once)
  --collapse N     draw modules nested deeper than N as single nodes (1: one node per layer)
  --grad-norms     label each module box with the gradient norm of every tensor leaving it
  --rankdir LR|TB  flow left to right (default; lstm --expand: TB) or top to bottom
  --out FILE       .svg, .dot or .html; default <name>[-expanded][-stepsT][-hiddenH][-focusI-J][-values]
                   [-grads][-collapseN][-grad-norms][-tb].svg in the current directory, named after every flag given`;

const OPTIONS = {
  expand: { type: 'boolean' },
  focus: { type: 'string' },
  values: { type: 'boolean' },
  grads: { type: 'boolean' },
  collapse: { type: 'string' },
  steps: { type: 'string' },
  hidden: { type: 'string' },
  'grad-norms': { type: 'boolean' },
  rankdir: { type: 'string' },
  script: { type: 'string' },
  out: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

const usageError = (message: string): number => {
  console.error(`tapegrad graph: ${message} (tapegrad graph --help shows the options)`);
  return 2;
};

class GraphSourceError extends Error {}

/** The roots of a user's script: its default export, called. */
async function scriptRoots(file: string): Promise<Tensor[]> {
  const exported = await loadScript(file);
  if (typeof exported !== 'function') throw new GraphSourceError(`${file} must export a function returning the tensors to draw`);
  const roots = await (exported as () => unknown)();
  const list = Array.isArray(roots) ? roots : [roots];
  if (list.length === 0 || !list.every((r) => r instanceof Tensor)) {
    throw new GraphSourceError(`${file}'s default export must return a Tensor or an array of Tensors of this tapegrad`);
  }
  return list as Tensor[];
}

/** A saved run's model on its first test image, through the loss, with the backward pass traced. */
function runRoots(dir: string): { roots: Tensor[]; title: string } {
  const saved = loadRun(dir);
  const { spec, model } = saved;
  const images = spec.dataset === 'digits' ? data.loadDigits() : null;
  const x = images
    ? saved.standardise(data.gather(images, [0]).images)
    : new Tensor(new Float32Array(spec.model.imageShape.reduce((a, b) => a * b, 1)), [1, ...spec.model.imageShape]);
  x.name = 'x';
  for (const [name, p] of model.namedParameters()) p.name ??= name;
  const logits = model.forward(x);
  logits.name = 'logits';
  const loss = crossEntropy(logits, images ? [images.labels[0]] : [0]);
  loss.name = 'loss';
  traceBackward(() => loss.backward());
  return { roots: [loss], title: `${spec.model.architecture} from ${dir}, on one ${spec.dataset} image` };
}

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
  const source =
    flags.script !== undefined
      ? 'script'
      : positionals.length === 1 && fs.existsSync(path.join(positionals[0], 'run.json'))
        ? 'run'
        : 'named';
  if (source === 'script' && positionals.length > 0)
    return usageError(`--script draws the file's own roots: drop ${positionals.join(' ')}`);
  if (source === 'named' && positionals.length !== 1) {
    return usageError(
      positionals.length === 0
        ? `name a graph (${GRAPH_NAMES.join(', ')}), --script FILE or a RUN_DIR`
        : `expected one graph name, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
  const name =
    source === 'named'
      ? positionals[0]
      : source === 'script'
        ? path.basename(flags.script!).replace(/\.[^.]*$/, '')
        : path.basename(path.resolve(positionals[0]));
  if (source === 'named' && !isGraphName(name))
    return usageError(`unknown graph '${name}' (graphs: ${GRAPH_NAMES.join(', ')}; or --script FILE, or a RUN_DIR)`);
  const expand = flags.expand ?? false;
  if (expand && (source !== 'named' || (name !== 'conv1d' && name !== 'conv2d' && name !== 'lstm')))
    return usageError(`--expand applies to conv1d, conv2d and lstm, not ${name}`);
  const sizes: { steps?: number; hidden?: number } = {};
  for (const [flag, max] of [
    ['steps', 32],
    ['hidden', 16],
  ] as const) {
    const given = flags[flag];
    if (given === undefined) continue;
    if (source !== 'named' || name !== 'lstm') return usageError(`--${flag} applies to lstm, not ${name}`);
    if (!/^\d+$/.test(given) || Number(given) < 1 || Number(given) > max)
      return usageError(`--${flag} must be an integer from 1 to ${max}, got '${given}'`);
    sizes[flag] = Number(given);
  }
  let focus: number[] | undefined;
  if (flags.focus !== undefined) {
    if (!expand) return usageError('--focus goes with --expand (it picks one output of the expanded graph)');
    if (!/^\d+(,\d+)*$/.test(flags.focus))
      return usageError(`--focus must be indices separated by commas, such as 0,1,2,2; got '${flags.focus}'`);
    focus = flags.focus.split(',').map(Number);
  }
  let collapse: number | undefined;
  if (flags.collapse !== undefined) {
    if (!/^\d+$/.test(flags.collapse)) return usageError(`--collapse must be a non-negative integer, got '${flags.collapse}'`);
    collapse = Number(flags.collapse);
  }
  const rankdir = flags.rankdir ?? 'LR';
  if (rankdir !== 'LR' && rankdir !== 'TB') return usageError(`--rankdir must be LR or TB, got '${rankdir}'`);
  // The default name says what was drawn, so differently drawn graphs never overwrite each other.
  const out =
    flags.out ??
    `${name}${expand ? '-expanded' : ''}${sizes.steps !== undefined ? `-steps${sizes.steps}` : ''}${sizes.hidden !== undefined ? `-hidden${sizes.hidden}` : ''}` +
      `${focus ? `-focus${focus.join('-')}` : ''}${flags.values ? '-values' : ''}${flags.grads ? '-grads' : ''}` +
      `${collapse !== undefined ? `-collapse${collapse}` : ''}${flags['grad-norms'] ? '-grad-norms' : ''}${rankdir === 'TB' ? '-tb' : ''}.svg`;
  if (!/\.(svg|dot|gv|html)$/i.test(out)) return usageError(`--out must end in .svg, .dot or .html, got '${out}'`);

  let roots: Tensor[];
  let base: HtmlOptions = {};
  try {
    if (source === 'named') {
      const graph = namedGraph(name, { expand, ...sizes });
      roots = graph.roots;
      base = graph.options;
    } else if (source === 'script') {
      roots = await scriptRoots(flags.script!);
      base = { title: `tapegrad graph --script ${flags.script}` };
    } else {
      const r = runRoots(positionals[0]);
      roots = r.roots;
      base = { title: r.title, values: true, grads: true };
    }
  } catch (e) {
    if (e instanceof ScriptError || e instanceof GraphSourceError) {
      console.error(`tapegrad graph: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const options: HtmlOptions = {
    ...base,
    values: (base.values ?? false) || (flags.values ?? false),
    grads: (base.grads ?? false) || (flags.grads ?? false),
    gradNorms: (base.gradNorms ?? false) || (flags['grad-norms'] ?? false),
    // The graph's own direction (the expanded lstm runs top to bottom) unless --rankdir says otherwise.
    rankdir: flags.rankdir !== undefined ? (rankdir as 'LR' | 'TB') : (base.rankdir ?? 'LR'),
    ...(collapse !== undefined ? { collapse } : {}),
    ...(focus !== undefined ? { focus } : {}),
  };
  try {
    await writeGraph(out, roots, options);
  } catch (e) {
    const message = (e as Error).message;
    if (/^toDot: focus|^toHtml: focus/.test(message)) return usageError(message.replace(/^to(Dot|Html): /, ''));
    console.error(`tapegrad graph: ${message.replace(/^writeGraph: /, '')}`);
    return 1;
  }
  console.log(`tapegrad graph: wrote ${out}`);
  return 0;
}
