/**
 * @file `tapegrad <command>`: dispatches to one module per command. Each command module exports
 * `run(args): Promise<number>` (the exit status) and is loaded only when asked for.
 */

// Every Tensor method exists before any command runs (Note [methods installed in one place]).
import '../ops/tensor-methods';
import { version } from '../version';

interface Command {
  summary: string;
  load: () => Promise<{ run(args: string[]): Promise<number> }>;
}

const commands: Record<string, Command> = {
  gradcheck: { summary: 'gradcheck every op in the registry (orders 1 and 2), a table of max errors', load: () => import('./gradcheck') },
  train: {
    summary: 'train a model (cnn, mlp, autoencoder, vae, rnn, lstm, gru, gan, dbn, transformer); writes the model, metrics and report.html',
    load: () => import('./train'),
  },
  eval: {
    summary: 'the held-out metrics of a saved run (test accuracy and confusion matrix for classifiers)',
    load: () => import('./eval'),
  },
  sample: {
    summary: 'text from a trained text model, or images from a trained gan or vae (PNG grid or IDX)',
    load: () => import('./sample'),
  },
  predict: { summary: 'class probabilities from a saved run for images (PNG, IDX, CSV rows)', load: () => import('./predict') },
  export: { summary: 'a saved run as an ONNX model, or as a PyTorch program (--torch DIR)', load: () => import('./export') },
  import: {
    summary: 'a folder export --torch wrote (with the weights PyTorch trained) as a run directory',
    load: () => import('./import'),
  },
  graph: {
    summary: 'draw a computation graph (conv1d, conv2d, mlp, cnn) as SVG or DOT, no system Graphviz needed',
    load: () => import('./graph'),
  },
};

function usage(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    `usage: tapegrad <command> [options]     (tapegrad ${version})`,
    '',
    'commands:',
    ...rows,
    '',
    'tapegrad <command> --help shows its options; tapegrad --version prints the version.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    console.log(version);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    console.error(`tapegrad: unknown command '${name}' (commands: ${Object.keys(commands).join(', ')})`);
    return 2;
  }
  return (await command.load()).run(rest);
}
