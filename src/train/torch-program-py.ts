/**
 * @file What both PyTorch programs carry (src/train/torch-program.ts's for the mlp/cnn runs,
 * src/train/torch-program-families*.ts's for the families): train.py's command line, its reading of
 * IDX files, the run's augmentation, the optimiser and schedule, starting the processes and writing
 * the results back, and the README's closing sections (several machines, back to tapegrad) —
 * written once so the two programs cannot drift apart. The Python here reads module constants each
 * train.py defines: OPTS (run.json's options), RECIPE_OPTIMIZER (the optimiser's name) and
 * WARMUP_FRACTION (the transformer's warm-up share of the steps, or None).
 */

/** train.py's `parse_args`; `seed` and `dataDir` are the Python expressions of the run's defaults. */
export function pyParseArgs(defaults: { seed: string; dataDir: string }): string {
  return `def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\\n')[0])
    p.add_argument('--epochs', type=int, default=OPTS['epochs'])
    p.add_argument('--lr', type=float, default=OPTS['lr'])
    p.add_argument('--batch-size', type=int, default=OPTS['batchSize'])
    p.add_argument('--seed', type=int, default=${defaults.seed})
    p.add_argument('--data-dir', default=${defaults.dataDir}, help='the IDX files (fashion-mnist runs)')
    p.add_argument('--threads', type=int, default=0, help='torch threads per process (0: PyTorch default)')
    p.add_argument('--weights', default=os.path.join(HERE, 'weights.safetensors'))
    return p.parse_args()`;
}

/** train.py's optimiser and schedule: tapegrad's makeOptimizer and makeScheduler (and the transformer's warm-up + cosine). */
export const PY_RECIPE = `def js_round(x):
    """JavaScript's Math.round (halves up), which tapegrad's sizes use; Python's round() rounds halves to even."""
    return math.floor(x + 0.5)


def warmup_cosine(warmup, total):
    """The lr factor at scheduler step s: a linear warm-up, then cosine decay to 0 (tapegrad's warmupCosine)."""
    def f(s):
        if s < warmup:
            return (s + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(s - warmup, total - warmup) / max(1, total - warmup)))
    return f


def make_optimizer(params, lr):
    wd, name = OPTS['weightDecay'], RECIPE_OPTIMIZER
    if name == 'adam':
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if name == 'adamw':
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == 'rmsprop':
        return torch.optim.RMSprop(params, lr=lr, weight_decay=wd)
    if name == 'adagrad':
        return torch.optim.Adagrad(params, lr=lr, weight_decay=wd)
    return torch.optim.SGD(params, lr=lr, momentum=OPTS['momentum'], weight_decay=wd)


def make_scheduler(opt, lr, total):
    """The schedule over total steps, stepped every batch, as tapegrad's makeScheduler."""
    kind = OPTS.get('scheduler') or 'cosine'
    if kind == 'none' or total == 0:
        return None
    if kind == 'cosine' and WARMUP_FRACTION is not None:
        warmup = max(1, js_round(WARMUP_FRACTION * total))
        return torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(warmup, total))
    if kind == 'step':
        return torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, math.ceil(total / 3)), gamma=0.1)
    if kind == 'onecycle':
        cycle = RECIPE_OPTIMIZER not in ('adagrad', 'rmsprop')
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, cycle_momentum=cycle)
    return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total)`;

/** train.py's start (torchrun's process group, or one process) and end (rank 0 writes the results back). */
export const PY_PROCESSES = `def start(args):
    """(distributed, rank, world, device): torchrun's process group when WORLD_SIZE > 1, else one process."""
    distributed = 'WORLD_SIZE' in os.environ and int(os.environ['WORLD_SIZE']) > 1
    cuda = torch.cuda.is_available()
    if distributed:
        dist.init_process_group(backend='nccl' if cuda else 'gloo')
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if cuda else 'cpu')
    torch.manual_seed(args.seed)
    return distributed, rank, world, device


def write_back(net, args, summary):
    """The trained weights, and beside them the epochs' metrics for 'tapegrad import'; each written atomically."""
    exported.write_safetensors(net.state_dict(), args.weights, metadata={'format': 'pt', 'producer': 'train.py'})
    out = os.path.join(os.path.dirname(os.path.abspath(args.weights)), 'metrics.json')
    with open(out + '.tmp', 'w') as f:
        json.dump(summary, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(out + '.tmp', out)


def finish(distributed):
    if distributed:
        dist.barrier()
        dist.destroy_process_group()`;

/** train.py's `read_idx`. */
export const PY_READ_IDX = `def read_idx(path):
    for candidate in (path, path + '.gz'):
        if os.path.exists(candidate):
            raw = open(candidate, 'rb').read()
            if candidate.endswith('.gz'):
                raw = gzip.decompress(raw)
            ndim = raw[3]
            dims = struct.unpack('>' + 'I' * ndim, raw[4:4 + 4 * ndim])
            return torch.frombuffer(bytearray(raw[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)
    raise FileNotFoundError(path)`;

/** train.py's `augment`. */
export const PY_AUGMENT = `def augment(x, gen):
    """The run's augmentation: random shifts (zero padding, then a random crop) and horizontal flips."""
    pad, flip = OPTS.get('cropPadding', 0), OPTS.get('flipP', 0)
    if pad:
        n, _, h, w = x.shape
        padded = F.pad(x, (pad, pad, pad, pad))
        dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
        dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
        x = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    if flip:
        mask = torch.rand(x.shape[0], generator=gen) < flip
        x = torch.where(mask[:, None, None, None], x.flip(3), x)
    return x`;

/** The README's last two sections; `evalPrints` is what `tapegrad eval` of the imported run prints. */
export function readmeClosing(evalPrints: string): string {
  return `## Several machines

On every machine, with the same folder (and data) on each:

\`\`\`sh
torchrun --nnodes 2 --nproc_per_node 4 --rdzv-backend c10d --rdzv-endpoint HOST:29500 --rdzv-id run1 train.py
\`\`\`

\`HOST\` is one of the machines, reachable from the others.

Debian's PyTorch 1.13 under Python 3.11 has a torchrun bug that rejects its own default
\`--redirects 0\`; there, name the streams: \`torchrun --redirects 2 --tee 1 --nproc_per_node 2 train.py\`.

## Back to tapegrad

\`\`\`sh
tapegrad import DIR --out RUN_DIR     # a run directory with the weights PyTorch wrote
tapegrad eval RUN_DIR                 # ${evalPrints}
\`\`\`
`;
}
