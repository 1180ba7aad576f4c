"""The PyTorch mirror of tapegrad's decoder-only character transformer (`tapegrad train --model
transformer`, src/train/families/transformer.ts): token and learned position embeddings, causal
pre-norm nn.TransformerEncoderLayers (GELU, batch first), a final LayerNorm and a linear read-out,
with the same state-dict keys (token.weight, position.weight, encoder.layers.0.self_attn.in_proj_weight,
..., norm.weight, head.weight); AdamW (weight decay 0.01), a linear warm-up over the first 5% of
the steps into a cosine decay (one LambdaLR), and gradient clipping to norm 1.

Two modes:
  python transformer.py [--text FILE] [--epochs N]
      trains on the text (default: data/tapegrad-tutorial.txt, the text tapegrad ships) and prints
      the validation loss beside the unigram entropy.
  python transformer.py --parity JOB.json
      the parity test's mode (tests/family-text.test.ts): the initial weights (safetensors written by
      tapegrad's tg.save), the hyper-parameters and the batches from JOB; runs the steps in float64
      and prints {"losses": [...], "keys": [...]} as JSON.

It needs only torch. The causal mask is passed as a float mask, -inf above the diagonal, which is
what tapegrad's `isCausal: true` builds (torch 1.13's TransformerEncoder has no is_causal).
"""
import argparse
import json
import math
import os
import struct
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = {'d_model': 64, 'nhead': 4, 'num_layers': 2, 'dim_feedforward': 256, 'seq_len': 32, 'dropout': 0.0}
WARMUP_FRACTION = 0.05


class CharTransformer(nn.Module):
    def __init__(self, vocab_size, d_model, nhead, num_layers, dim_feedforward, seq_len, dropout):
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
        h = self.token(x) + self.position(torch.arange(T))
        mask = torch.triu(torch.full((T, T), float('-inf'), dtype=h.dtype), diagonal=1)
        return self.head(self.norm(self.encoder(h, mask=mask)))


def warmup_cosine(warmup, total):
    """The lr factor at scheduler step s, as tapegrad's warmupCosine."""
    def f(s):
        if s < warmup:
            return (s + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(s - warmup, total - warmup) / max(1, total - warmup)))
    return f


def make_optimizer(model, lr, weight_decay, total_steps):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    warmup = max(1, round(WARMUP_FRACTION * total_steps))
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine(warmup, total_steps))


def lm_loss(model, x, y):
    logits = model(x)
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def train_step(model, optimizer, scheduler, clip, x, y):
    model.train()
    loss = lm_loss(model, x, y)
    optimizer.zero_grad()
    loss.backward()
    if clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    scheduler.step()
    return loss.item()


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
        out[name] = torch.frombuffer(raw, dtype=_DTYPES[info['dtype']]).reshape(info['shape']).clone()
    return out


def parity(job_path):
    with open(job_path) as f:
        job = json.load(f)
    torch.set_default_dtype(torch.float64)
    sizes = dict(SIZES, **job.get('sizes', {}))
    model = CharTransformer(job['vocabSize'], **sizes).double()
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
    T, B = SIZES['seq_len'], 32
    model = CharTransformer(len(vocab), **SIZES)
    batches = max(1, len(train_ids) // (B * T))
    optimizer, scheduler = make_optimizer(model, args.lr, 0.01, args.epochs * batches)
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        for _ in range(batches):
            starts = torch.randint(0, len(train_ids) - T, (B,))
            x = torch.stack([train_ids[s:s + T] for s in starts])
            y = torch.stack([train_ids[s + 1:s + T + 1] for s in starts])
            total += train_step(model, optimizer, scheduler, 1.0, x, y)
        model.eval()
        with torch.no_grad():
            n = (len(val_ids) - 1) // T * T
            loss = lm_loss(model, val_ids[:n].reshape(-1, T), val_ids[1:n + 1].reshape(-1, T)).item()
        print(f'epoch {epoch}: train loss {total / batches:.3f}, valLoss {loss:.3f}')
    counts = torch.bincount(val_ids, minlength=len(vocab)).double() / len(val_ids)
    unigram = -(counts[counts > 0] * counts[counts > 0].log()).sum().item()
    print(json.dumps({'valLoss': loss, 'unigramLoss': unigram}))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--parity', help='a parity job (JSON): run its steps in float64 and print the losses')
    p.add_argument('--text', help='a UTF-8 text file (default: the text tapegrad ships)')
    p.add_argument('--epochs', type=int, default=6)
    p.add_argument('--lr', type=float, default=0.01)
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    if a.parity:
        parity(a.parity)
    else:
        train(a)
    sys.exit(0)
