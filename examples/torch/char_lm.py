"""The PyTorch mirror of tapegrad's character-level language models (`tapegrad train --model
rnn|lstm|gru --dataset text`, src/train/families/char-lm.ts): the same module (state-dict keys
embedding.weight, rnn.weight_ih_l0, ..., head.weight, head.bias), the same loss (cross-entropy per
character), Adam (lr 0.02; 0.01 for rnn) with a cosine schedule stepped every batch, and gradient clipping to norm 1.

Two modes:
  python char_lm.py [--kind lstm] [--text FILE] [--epochs N]
      trains on the text (default: the text tapegrad ships, data/tapegrad-tutorial.txt) and prints
      the validation loss beside the unigram entropy, as tapegrad's metrics.json does.
  python char_lm.py --parity JOB.json
      the parity test's mode (tests/family-text.test.ts): JOB names the kind, the hyper-parameters,
      the initial weights (a safetensors file tapegrad's tg.save wrote) and the batches; it runs the
      steps in float64 and prints {"losses": [...], "keys": [...]} as JSON.

It needs only torch (safetensors files are read and written by hand, below).
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = {
    'rnn': {'embed_dim': 32, 'hidden_size': 128, 'seq_len': 64},
    'lstm': {'embed_dim': 32, 'hidden_size': 128, 'seq_len': 64},
    'gru': {'embed_dim': 32, 'hidden_size': 128, 'seq_len': 64},
}


class CharRnn(nn.Module):
    """Embedding -> RNN/LSTM/GRU (batch first) -> Linear: ids [B, T] to logits [B, T, V]."""

    def __init__(self, kind, vocab_size, embed_dim, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        layer = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}[kind]
        self.rnn = layer(embed_dim, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x):
        h, _ = self.rnn(self.embedding(x))
        return self.head(h)


def lm_loss(model, x, y):
    logits = model(x)
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def train_step(model, optimizer, scheduler, clip, x, y):
    """One step, as tapegrad's lmTrainStep: loss, backward, clip, optimizer step, scheduler step."""
    model.train()
    loss = lm_loss(model, x, y)
    optimizer.zero_grad()
    loss.backward()
    if clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    return loss.item()


def make_optimizer(model, lr, weight_decay, total_steps):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    return optimizer, torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)


# ---- safetensors by hand -------------------------------------------------------------------------

_DTYPES = {'F64': torch.float64, 'F32': torch.float32, 'I32': torch.int32, 'I64': torch.int64}


def read_safetensors(path):
    with open(path, 'rb') as f:
        b = f.read()
    n = struct.unpack('<Q', b[:8])[0]
    header = json.loads(b[8:8 + n].decode('utf-8'))
    header.pop('__metadata__', None)
    out = {}
    for name, info in header.items():
        s, e = info['data_offsets']
        raw = bytearray(b[8 + n + s:8 + n + e])
        t = torch.frombuffer(raw, dtype=_DTYPES[info['dtype']]) if raw else torch.empty(0, dtype=_DTYPES[info['dtype']])
        out[name] = t.reshape(info['shape']).clone()
    return out


# ---- the two modes -------------------------------------------------------------------------------

def parity(job_path):
    with open(job_path) as f:
        job = json.load(f)
    torch.set_default_dtype(torch.float64)
    sizes = SIZES[job['kind']]
    model = CharRnn(job['kind'], job['vocabSize'], sizes['embed_dim'], sizes['hidden_size']).double()
    model.load_state_dict(read_safetensors(job['weights']))
    optimizer, scheduler = make_optimizer(model, job['lr'], job['weightDecay'], job['totalSteps'])
    losses = []
    for batch in job['batches']:
        x = torch.tensor(batch['x'], dtype=torch.int64).reshape(job['batchSize'], job['seqLen'])
        y = torch.tensor(batch['y'], dtype=torch.int64).reshape(job['batchSize'], job['seqLen'])
        losses.append(train_step(model, optimizer, scheduler, job['clip'], x, y))
    print(json.dumps({'losses': losses, 'keys': list(model.state_dict().keys())}))


def train(args):
    torch.manual_seed(args.seed)
    path = args.text or os.path.join(HERE, '..', '..', 'data', 'tapegrad-tutorial.txt')
    with open(path, encoding='utf-8') as f:
        text = f.read()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.int64)
    n_val = max(2, round(len(ids) * 0.1))
    train_ids, val_ids = ids[:-n_val], ids[-n_val:]
    sizes = SIZES[args.kind]
    T, B = sizes['seq_len'], 32
    model = CharRnn(args.kind, len(vocab), sizes['embed_dim'], sizes['hidden_size'])
    batches = max(1, len(train_ids) // (B * T))
    lr = args.lr if args.lr is not None else (0.01 if args.kind == 'rnn' else 0.02)
    optimizer, scheduler = make_optimizer(model, lr, 0, args.epochs * batches)
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        started = time.perf_counter()
        for _ in range(batches):
            starts = torch.randint(0, len(train_ids) - T, (B,))
            x = torch.stack([train_ids[s:s + T] for s in starts])
            y = torch.stack([train_ids[s + 1:s + T + 1] for s in starts])
            total += train_step(model, optimizer, scheduler, 1.0, x, y)
        seconds = time.perf_counter() - started
        model.eval()
        with torch.no_grad():
            n = (len(val_ids) - 1) // T * T
            loss = lm_loss(model, val_ids[:n].reshape(-1, T), val_ids[1:n + 1].reshape(-1, T)).item()
        print(f'epoch {epoch}: train loss {total / batches:.3f}, valLoss {loss:.3f}, train {seconds:.2f}s')
    counts = torch.bincount(val_ids, minlength=len(vocab)).double() / len(val_ids)
    unigram = -(counts[counts > 0] * counts[counts > 0].log()).sum().item()
    print(json.dumps({'valLoss': loss, 'unigramLoss': unigram}))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--parity', help='a parity job (JSON): run its steps in float64 and print the losses')
    p.add_argument('--kind', default='lstm', choices=sorted(SIZES))
    p.add_argument('--text', help='a UTF-8 text file (default: the text tapegrad ships)')
    p.add_argument('--epochs', type=int, default=5)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, help='torch.set_num_threads and interop threads (default: torch\'s own choice)')
    p.add_argument('--lr', type=float, help='default: 0.01 for rnn, 0.02 for lstm and gru (as tapegrad)')
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
        torch.set_num_interop_threads(a.threads)
    if a.parity:
        parity(a.parity)
    else:
        train(a)
    sys.exit(0)
