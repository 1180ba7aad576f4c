/**
 * @file The Python that `tapegrad export RUN --torch DIR` writes for a model-family run (run.json
 * format 2; src/train/torch-program-families.ts): the model classes of model.py (the recurrent
 * image classifier, the character RNN/LSTM/GRU and the character transformer, with tapegrad's
 * state-dict keys) and train.py, the family's recipe for `python train.py` and unchanged for
 * `torchrun --nproc_per_node N train.py`.
 *
 * Note [what a language model's train.py prints]: a classifier prints its test accuracy as
 * `accuracy 98.61%`, as the mlp/cnn programs do. A character language model's measure is its
 * validation loss in nats per character, printed as `val loss 1.9412` (tapegrad eval prints the
 * same number as `valLoss 1.9412`); so that every program prints an accuracy line, it also prints
 * the next-character accuracy on the same validation text (the arg max of the logits against the
 * character that follows) as `accuracy 41.20%`. tapegrad's own metrics have no such accuracy: it is
 * the PyTorch side's extra, recorded in metrics.json as `valAccuracy`.
 */
import { PY_AUGMENT, PY_PROCESSES, PY_READ_IDX, PY_RECIPE, pyParseArgs } from './torch-program-py';

/** The SequenceClassifier of src/train/families/recurrent-digits.ts; `layer` is RNN, LSTM or GRU. */
export function sequenceClassifierPy(layer: string, inputSize: number, hiddenSize: number, classes: number): string {
  return `class SequenceClassifier(nn.Module):
    """An image [N,1,H,W] (or a sequence [N,T,F]) read row by row by one nn.${layer} (batch first); its
    last hidden state goes through a Linear layer to the class logits (tapegrad's SequenceClassifier)."""

    def __init__(self, input_size=${inputSize}, hidden_size=${hiddenSize}, classes=${classes}):
        super().__init__()
        self.input_size = input_size
        self.rnn = nn.${layer}(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, classes)

    def forward(self, x):
        steps = x.reshape(x.shape[0], -1, self.input_size)
        _, state = self.rnn(steps)
        h = state[0] if isinstance(state, tuple) else state  # an LSTM's state is (h, c)
        return self.fc(h[-1])


Model = SequenceClassifier
`;
}

/** The CharRnn of src/train/families/char-lm.ts. */
export function charRnnPy(layer: string, vocabSize: number, embedDim: number, hiddenSize: number): string {
  return `class CharRnn(nn.Module):
    """Character ids [B,T] to next-character logits [B,T,V]: an embedding, one nn.${layer} (batch first)
    and a linear read-out (tapegrad's CharRnn)."""

    def __init__(self, vocab_size=${vocabSize}, embed_dim=${embedDim}, hidden_size=${hiddenSize}):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = nn.${layer}(embed_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x):
        h, _ = self.rnn(self.embedding(x))
        return self.head(h)


Model = CharRnn
`;
}

/** The CharTransformer of src/train/families/transformer.ts. */
export function charTransformerPy(
  vocabSize: number,
  s: { dModel: number; nhead: number; numLayers: number; dimFeedforward: number; seqLen: number; dropout: number },
): string {
  return `class CharTransformer(nn.Module):
    """A decoder-only character model (tapegrad's CharTransformer): token and learned position
    embeddings, causal pre-norm nn.TransformerEncoderLayers (GELU, batch first), a final LayerNorm
    and a linear read-out. The causal mask is a float mask, -inf above the diagonal, which is what
    tapegrad's isCausal builds (torch 1.13's TransformerEncoder takes no is_causal)."""

    def __init__(self, vocab_size=${vocabSize}, d_model=${s.dModel}, nhead=${s.nhead}, num_layers=${s.numLayers}, dim_feedforward=${s.dimFeedforward}, seq_len=${s.seqLen}, dropout=${s.dropout}):
        super().__init__()
        self.token = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(seq_len, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation='gelu', batch_first=True, norm_first=True)
        try:
            self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        except TypeError:  # torch before 1.12
            self.encoder = nn.TransformerEncoder(layer, num_layers)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, x):
        T = x.shape[1]
        h = self.token(x) + self.position(torch.arange(T, device=x.device))
        mask = torch.triu(torch.full((T, T), float('-inf'), dtype=h.dtype, device=x.device), diagonal=1)
        return self.head(self.norm(self.encoder(h, mask=mask)))


Model = CharTransformer
`;
}

export const MODEL_PY_HEAD = `"""A tapegrad model-family run's network as a PyTorch module (written by \`tapegrad export RUN --torch DIR\`).

Its state_dict() keys are tapegrad's, so weights.safetensors loads into it unchanged:
    model = load()   # Model() with the weights beside this file
"""
import json, os, struct

import torch
from torch import nn

`;

/** train.py of a family run: the recipe of run.json's \`torch\` section, single process or torchrun. */
export const FAMILY_TRAIN_PY = `"""The tapegrad run of run.json (a model family), as a PyTorch training program (written by
\`tapegrad export --torch\`).

    python train.py [--epochs N] [--lr X] [--batch-size B] [--seed S] [--threads N] [--data-dir DIR]
    torchrun --nproc_per_node N train.py ...   # DistributedDataParallel (gloo on CPU, nccl on CUDA)

--epochs 0 only evaluates. A classifier prints its test accuracy as "accuracy 97.50%"; a character
language model prints its validation loss in nats per character as "val loss 1.9412" and its
next-character accuracy on the validation text as "accuracy 41.20%". Then the metrics as one JSON
line; rank 0 writes weights.safetensors and metrics.json back (atomically) after training.
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
RECIPE = RUN['torch']
RECIPE_OPTIMIZER = RECIPE['optimizer']
WARMUP_FRACTION = RECIPE.get('warmupFraction')


${pyParseArgs({ seed: "OPTS['seed']", dataDir: "OPTS.get('dataDir')" })}


# ---- the images of a classifier run ----------------------------------------------------------------

${PY_READ_IDX}


def load_images(args):
    """Train and test images, standardised as tapegrad did, [N,C,H,W] float32, and int64 labels: the run's own split."""
    if OPTS['dataset'] == 'digits':
        sets = []
        for name in ('train', 'test'):
            t = exported.read_safetensors(os.path.join(HERE, 'data', name + '.safetensors'))
            sets.append((t['images'].float(), t['labels'].long()))
    else:
        d = args.data_dir
        if not d:
            raise SystemExit('train.py: this run reads IDX files; pass --data-dir DIR')
        sets = []
        for images, labels in (('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'), ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')):
            # raw / 255 in float64, rounded once to float32, as tapegrad's loadIdx.
            x = (read_idx(os.path.join(d, images)).double() / round(1 / RECIPE['pixelScale'])).float()
            y = read_idx(os.path.join(d, labels)).long()
            if OPTS.get('limit'):
                x, y = x[:OPTS['limit']], y[:OPTS['limit']]
            sets.append((x.reshape(len(x), *RECIPE['imageShape']), y))
    # (pixel - mean) / std in float64, rounded once to float32, with the training pixels' mean and std.
    p = RECIPE['pixels']
    return [(((x.double() - p['mean']) / p['std']).float(), y) for x, y in sets]


${PY_AUGMENT}


def evaluate_classifier(net, x, y, batch=500):
    net.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            logits = net(x[i:i + batch])
            loss += F.cross_entropy(logits, y[i:i + batch], reduction='sum').item()
            correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    return {'testLoss': loss / max(1, len(y)), 'testAccuracy': correct / max(1, len(y))}


# ---- the text of a language model run ----------------------------------------------------------------

def load_text():
    """The text's ids in the run's vocabulary, split as tapegrad splits it: the last 10% validate."""
    # newline='': the text as it is (no \\r\\n translation); a str is a sequence of code points, as tapegrad's characters are.
    with open(os.path.join(HERE, 'data', 'text.txt'), encoding='utf-8', newline='') as f:
        text = f.read()
    index = {c: i for i, c in enumerate(RECIPE['vocab'])}
    missing = sorted(set(c for c in text if c not in index))
    if missing:
        raise SystemExit(f'train.py: characters {missing!r} of data/text.txt are not in the run\\'s vocabulary')
    ids = torch.tensor([index[c] for c in text], dtype=torch.int64)
    n_val = max(2, js_round(len(ids) * 0.1))
    train, val = ids[:len(ids) - n_val], ids[len(ids) - n_val:]
    if OPTS.get('limit'):
        keep = max(RECIPE['seqLen'] + 2, OPTS['limit'])
        train, val = train[:keep], val[:keep]
    return train, val


def unigram_entropy(ids, vocab_size):
    p = torch.bincount(ids, minlength=vocab_size).double() / len(ids)
    p = p[p > 0]
    return -(p * p.log()).sum().item()


def lm_loss(net, x, y):
    logits = net(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)), logits


def evaluate_lm(net, ids, seq_len, device):
    """The mean loss per character over ids cut into consecutive windows (each character after the first
    predicted once, as tapegrad's evaluation), and the next-character accuracy."""
    net.eval()
    n = len(ids) - 1
    count = n // seq_len
    total, correct = 0.0, 0
    with torch.no_grad():
        chunks = [(w * seq_len, min(64, count - w), seq_len) for w in range(0, count, 64)]
        if n - count * seq_len > 0:
            chunks.append((count * seq_len, 1, n - count * seq_len))
        for start, rows, T in chunks:
            x = ids[start:start + rows * T].reshape(rows, T).to(device)
            y = ids[start + 1:start + rows * T + 1].reshape(rows, T).to(device)
            loss, logits = lm_loss(net, x, y)
            total += loss.item() * rows * T
            correct += (logits.argmax(-1) == y).sum().item()
    return {'valLoss': total / n, 'valAccuracy': correct / n}


# ---- the recipe ------------------------------------------------------------------------------------

${PY_RECIPE}


def report(metrics):
    """The lines every run prints (Note [what a language model's train.py prints] in tapegrad's source)."""
    if RECIPE['task'] == 'classify':
        print(f"accuracy {100 * metrics['testAccuracy']:.2f}%", flush=True)
    else:
        print(f"val loss {metrics['valLoss']:.4f}", flush=True)
        print(f"accuracy {100 * metrics['valAccuracy']:.2f}%", flush=True)


${PY_PROCESSES}


def main():
    args = parse_args()
    distributed, rank, world, device = start(args)
    net = exported.load(args.weights).float().to(device)
    train_net = torch.nn.parallel.DistributedDataParallel(net) if distributed else net
    gen = torch.Generator().manual_seed(args.seed + rank)
    classify = RECIPE['task'] == 'classify'
    if classify:
        (xtr, ytr), (xte, yte) = load_images(args)
        data = torch.utils.data.TensorDataset(xtr, ytr)
        sampler = torch.utils.data.distributed.DistributedSampler(data, num_replicas=world, rank=rank, shuffle=True, seed=args.seed) if distributed else None
        loader = torch.utils.data.DataLoader(data, batch_size=args.batch_size, shuffle=sampler is None, sampler=sampler, generator=gen if sampler is None else None)
        steps = len(loader)
        evaluate = lambda: evaluate_classifier(net, xte.to(device), yte.to(device))
    else:
        train_ids, val_ids = load_text()
        T = RECIPE['seqLen']
        if len(train_ids) - T < 1:
            raise SystemExit(f'train.py: {len(train_ids)} training characters are too few for windows of {T}')
        # tapegrad's epoch: as many random windows as the training text holds; each process takes its share.
        steps = math.ceil(max(1, len(train_ids) // (args.batch_size * T)) / world)
        unigram = unigram_entropy(val_ids, len(RECIPE['vocab']))
        evaluate = lambda: dict(evaluate_lm(net, val_ids, T, device), unigramLoss=unigram)
    opt = make_optimizer(train_net.parameters(), args.lr)
    sched = make_scheduler(opt, args.lr, args.epochs * steps)
    clip = OPTS.get('clipGradNorm')
    history = []
    for epoch in range(args.epochs):
        train_net.train()
        t0, seen, total, correct = time.time(), 0, 0.0, 0
        if classify:
            if sampler is not None:
                sampler.set_epoch(epoch)
            batches = ((augment(x, gen), y) for x, y in loader)
        else:
            def windows():
                for _ in range(steps):
                    starts = torch.randint(0, len(train_ids) - T, (args.batch_size,), generator=gen)
                    yield (torch.stack([train_ids[s:s + T] for s in starts]), torch.stack([train_ids[s + 1:s + T + 1] for s in starts]))
            batches = windows()
        for x, y in batches:
            x, y = x.to(device), y.to(device)
            if classify:
                logits = train_net(x)
                loss = F.cross_entropy(logits, y)
                correct += (logits.argmax(1) == y).sum().item()
            else:
                loss, _ = lm_loss(train_net, x, y)
            opt.zero_grad()
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(train_net.parameters(), clip)
            opt.step()
            if sched is not None:
                sched.step()
            seen += len(y)
            total += loss.item() * len(y)
        metrics = evaluate()
        entry = {'epoch': epoch + 1, 'trainLoss': total / max(1, seen)}
        if classify:
            entry['trainAccuracy'] = correct / max(1, seen)
            entry.update(metrics)
        else:
            entry.update(valLoss=metrics['valLoss'], unigramLoss=metrics['unigramLoss'])
        entry['seconds'] = time.time() - t0
        history.append(entry)
        if rank == 0:
            shown = ', '.join(f"{k} {100 * v:.2f}%" if 'ccuracy' in k else f'{k} {v:.4f}' for k, v in entry.items() if k not in ('epoch', 'seconds'))
            print(f'epoch {epoch + 1}: {shown}', flush=True)
    metrics = evaluate()
    if rank == 0:
        report(metrics)
        summary = dict(metrics, epochs=history, processes=world)
        print(json.dumps(summary), flush=True)
        if args.epochs > 0:
            write_back(net, args, summary)
    finish(distributed)


if __name__ == '__main__':
    main()
`;
