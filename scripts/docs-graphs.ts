/**
 * @file `npm run docs:graphs`: draws the example graphs into docs/graphs/ (shown in docs/graphs.md),
 * the same graphs `tapegrad graph` draws. The output is deterministic, so a rerun changes nothing
 * unless the graphs did.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tg from '../src';

interface Figure {
  file: string;
  graph: string;
  expand?: boolean;
  options?: tg.viz.DotOptions;
}

const FIGURES: Figure[] = [
  { file: 'conv1d-expanded.svg', graph: 'conv1d', expand: true },
  { file: 'conv1d.svg', graph: 'conv1d' },
  { file: 'conv2d.svg', graph: 'conv2d', options: { values: true, grads: true } },
  { file: 'conv2d-expanded.svg', graph: 'conv2d', expand: true },
  { file: 'mlp.svg', graph: 'mlp', options: { values: true, grads: true } },
  { file: 'cnn.svg', graph: 'cnn' },
  { file: 'cnn-collapsed.svg', graph: 'cnn', options: { collapse: 1, values: true, grads: true, rankdir: 'TB' } },
];

async function main(): Promise<void> {
  const dir = join(__dirname, '..', 'docs', 'graphs');
  mkdirSync(dir, { recursive: true });
  for (const f of FIGURES) {
    const g = tg.viz.namedGraph(f.graph, { expand: f.expand });
    const svg = await tg.viz.toSvg(tg.viz.toDot(g.roots, { ...g.options, ...f.options }));
    writeFileSync(join(dir, f.file), svg);
    console.log(`wrote docs/graphs/${f.file} (${Math.round(svg.length / 1024)} kB)`);
  }
}

main().catch((e: Error) => {
  console.error(`docs:graphs: ${e.message}`);
  process.exitCode = 1;
});
