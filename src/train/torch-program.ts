/**
 * @file A training run as a PyTorch program (SPEC §17, `tapegrad export RUN --torch DIR`): the model
 * (model.py, weights.safetensors, from tg.export.toTorch), the run's own data split (digits: the
 * images exported beside it, so PyTorch evaluates on the very test set tapegrad did; IDX data sets:
 * read from their files), and train.py — the same recipe (preprocessing, loss, optimiser, schedule,
 * clipping, augmentation, epochs, batch size, seed), runnable as `python train.py` and unchanged as
 * `torchrun --nproc_per_node N train.py` (DistributedDataParallel). `tapegrad import` takes the folder
 * back with the weights PyTorch wrote.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as data from '../data';
import { toTorch } from '../export/torch';
import { writeBytes, writeText } from '../platform/files';
import { tensor, zeros } from '../tensor/create';
import { save } from '../tensor/safetensors';
import type { LoadedRun, RunSpec } from './run';
import { runRng } from './run';
import { PY_AUGMENT, PY_PROCESSES, PY_READ_IDX, PY_RECIPE, pyParseArgs, readmeClosing } from './torch-program-py';

/** What export writes; run.json says the architecture and preprocessing, so the folder describes itself. */
export const TORCH_FILES = ['model.py', 'weights.safetensors', 'train.py', 'run.json', 'README.md'] as const;

/** The digits split a run used, as pixels in [0, 1] (before the standardisation), and its labels. */
function digitsSplit(spec: RunSpec) {
  const split = data.trainTestSplit(data.loadDigits(), { testFraction: 0.2, rng: runRng(spec.seed, 'split') });
  const head = (set: data.ImageSet) => {
    const n = spec.limit === null ? set.labels.length : Math.min(spec.limit, set.labels.length);
    return data.gather(
      set,
      Int32Array.from({ length: n }, (_, i) => i),
    );
  };
  return { train: head(split.train), test: head(split.test) };
}

export function writeTorchProgram(run: LoadedRun, dir: string): string[] {
  const { spec, model } = run;
  fs.mkdirSync(dir, { recursive: true });
  const exported = toTorch(model, zeros([1, ...spec.model.imageShape]));
  const written: string[] = [];
  const put = (name: string, bytes: string | Uint8Array) => {
    if (typeof bytes === 'string') writeText(path.join(dir, name), bytes);
    else writeBytes(path.join(dir, name), bytes);
    written.push(name);
  };
  put('model.py', exported['model.py']);
  put('weights.safetensors', exported['weights.safetensors']);
  if (spec.dataset === 'digits') {
    const { train, test } = digitsSplit(spec);
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
    for (const [name, set] of [
      ['train', train],
      ['test', test],
    ] as const) {
      save(path.join(dir, 'data', `${name}.safetensors`), { images: set.images, labels: tensor(set.labels) });
      written.push(`data/${name}.safetensors`);
    }
  }
  put('run.json', JSON.stringify({ ...spec, weights: 'weights.safetensors' }, null, 2) + '\n');
  put('train.py', TRAIN_PY);
  put('README.md', readme(spec));
  return written;
}

function readme(spec: RunSpec): string {
  return `# ${spec.model.architecture} on ${spec.dataset}, as a PyTorch program

Written by \`tapegrad export RUN_DIR --torch DIR\` (tapegrad ${spec.tapegrad}). \`model.py\` is the
network as a \`torch.nn.Module\` whose \`state_dict()\` keys are tapegrad's; \`weights.safetensors\`
holds its weights; \`train.py\` is the run's recipe (${spec.options.optimizer}, lr ${spec.options.lr},
batch ${spec.options.batchSize}, ${spec.options.epochs} epochs, seed ${spec.seed}); \`run.json\` says the
architecture and the input preprocessing (a raw pixel p enters the model as (p·${spec.preprocessing.pixelScale} − ${spec.preprocessing.mean}) / ${spec.preprocessing.std}).${
    spec.dataset === 'digits'
      ? ' The digits are beside it in `data/`, split as the run split them.'
      : ' The data are read from the IDX files in `--data-dir` (default: the directory the run read).'
  }
It needs only PyTorch (it uses the \`safetensors\` package when installed).

## One machine

\`\`\`sh
python train.py                    # trains, prints "accuracy 97.50%", writes weights.safetensors back
python train.py --epochs 0         # only evaluates the weights as they are
python train.py --epochs 5 --lr 0.01 --batch-size 64
\`\`\`

## Several processes or GPUs on one machine

\`\`\`sh
torchrun --nproc_per_node 2 train.py      # DistributedDataParallel; gloo on CPU, nccl when CUDA is present
torchrun --nproc_per_node 8 train.py      # e.g. 8 GPUs
\`\`\`

Each process trains on its share of every epoch (a \`DistributedSampler\`); gradients are averaged
across processes, so with N processes an epoch takes N times fewer steps of the same batch size per
process. Rank 0 evaluates and writes the weights.

${readmeClosing('the accuracy train.py printed')}`;
}

/** train.py: the recipe of run.json in PyTorch, single process or torchrun. */
const TRAIN_PY = `"""The tapegrad run of run.json, as a PyTorch training program (written by \`tapegrad export --torch\`).

    python train.py [--epochs N] [--lr X] [--batch-size B] [--seed S] [--data-dir DIR] [--threads N]
    torchrun --nproc_per_node N train.py ...   # DistributedDataParallel (gloo on CPU, nccl on CUDA)

--epochs 0 only evaluates. Every run prints the test accuracy as "accuracy 97.50%" and its metrics as
one JSON line; rank 0 writes weights.safetensors back (atomically) after training.
"""
import argparse, gzip, json, math, os, struct, sys, time

import torch
import torch.distributed as dist
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model as exported  # noqa: E402

with open(os.path.join(HERE, 'run.json')) as f:
    RUN = json.load(f)
OPTS = RUN['options']
RECIPE_OPTIMIZER = OPTS['optimizer']
WARMUP_FRACTION = None


${pyParseArgs({ seed: "RUN['seed']", dataDir: "RUN.get('dataDir')" })}


${PY_READ_IDX}


def load_data(args):
    """Train and test images as pixels in [0, 1] [N,C,H,W] and int64 labels: the run's own split."""
    if RUN['dataset'] == 'digits':
        sets = []
        for name in ('train', 'test'):
            t = exported.read_safetensors(os.path.join(HERE, 'data', name + '.safetensors'))
            sets.append((t['images'].float(), t['labels'].long()))
        return sets
    d = args.data_dir
    if not d:
        raise SystemExit('train.py: this run reads IDX files; pass --data-dir DIR')
    out = []
    for images, labels in (('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'), ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')):
        x = read_idx(os.path.join(d, images)).float() * RUN['preprocessing']['pixelScale']
        y = read_idx(os.path.join(d, labels)).long()
        if RUN.get('limit'):
            x, y = x[:RUN['limit']], y[:RUN['limit']]
        out.append((x.reshape(len(x), *RUN['model']['imageShape']), y))
    return out


def standardise(x):
    """As tapegrad: (pixel - mean) / std in float64, rounded once to float32."""
    p = RUN['preprocessing']
    return ((x.double() - p['mean']) / p['std']).float()


${PY_RECIPE}


${PY_AUGMENT}


def evaluate(net, x, y, batch=1000):
    net.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            logits = net(x[i:i + batch])
            loss += F.cross_entropy(logits, y[i:i + batch], reduction='sum').item()
            correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    return correct / max(1, len(y)), loss / max(1, len(y))


${PY_PROCESSES}


def main():
    args = parse_args()
    distributed, rank, world, device = start(args)
    (xtr, ytr), (xte, yte) = load_data(args)
    xtr, xte = standardise(xtr), standardise(xte)
    net = exported.load(args.weights).float().to(device)
    train_net = torch.nn.parallel.DistributedDataParallel(net) if distributed else net
    data = torch.utils.data.TensorDataset(xtr, ytr)
    sampler = torch.utils.data.distributed.DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=args.seed) if distributed else None
    gen = torch.Generator().manual_seed(args.seed + rank)
    loader = torch.utils.data.DataLoader(data, batch_size=args.batch_size, shuffle=sampler is None, sampler=sampler, generator=gen if sampler is None else None)
    opt = make_optimizer(train_net.parameters(), args.lr)
    sched = make_scheduler(opt, args.lr, args.epochs * len(loader))
    clip = OPTS.get('clipGradNorm')
    history = []
    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        train_net.train()
        t0, seen, total, correct = time.time(), 0, 0.0, 0
        for x, y in loader:
            x, y = augment(x, gen).to(device), y.to(device)
            logits = train_net(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(train_net.parameters(), clip)
            opt.step()
            if sched is not None:
                sched.step()
            seen += len(y)
            total += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
        acc, test_loss = evaluate(net, xte.to(device), yte.to(device))
        history.append({'epoch': epoch + 1, 'trainLoss': total / max(1, seen), 'trainAccuracy': correct / max(1, seen),
                        'testLoss': test_loss, 'testAccuracy': acc, 'seconds': time.time() - t0})
        if rank == 0:
            print(f"epoch {epoch + 1}: train loss {total / max(1, seen):.4f}, test loss {test_loss:.4f}, test accuracy {100 * acc:.2f}%", flush=True)
    acc, test_loss = evaluate(net, xte.to(device), yte.to(device))
    if rank == 0:
        print(f"accuracy {100 * acc:.2f}%", flush=True)
        print(json.dumps({'testAccuracy': acc, 'testLoss': test_loss, 'epochs': history, 'processes': world}), flush=True)
        if args.epochs > 0:
            write_back(net, args, {'testAccuracy': acc, 'testLoss': test_loss, 'epochs': history, 'processes': world})
    finish(distributed)


if __name__ == '__main__':
    main()
`;
