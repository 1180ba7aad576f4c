"""The PyTorch mirror of tapegrad's `train --model rnn|lstm|gru` on images (src/train/families/recurrent-digits.ts).

Each image [N, 1, H, W] is read row by row as H steps of W features by one recurrent layer (batch_first);
its last hidden state goes through a Linear layer to the class logits. One training step is cross-entropy,
backward, optional gradient clipping, the optimiser's step and the schedule's step (every batch).

    python3 digits_rnn.py --kind lstm --train train.safetensors --test test.safetensors
        trains on the images/labels in those files (as `tapegrad export --torch` writes them) and prints
        the test accuracy;
    python3 digits_rnn.py --parity job.json
        the parity mode of tests/family-classify.test.ts: the job names the initial weights and the batches
        (safetensors written by tapegrad's tg.save), the optimiser and the schedule; it runs the steps in
        float64 and prints {"keys": [...], "losses": [...]} as JSON.

Plain torch only: safetensors files are read and written by hand (struct + json).
"""
import argparse
import json
import struct
import sys

import torch
import torch.nn.functional as F
from torch import nn

_DTYPES = {'F64': torch.float64, 'F32': torch.float32, 'I32': torch.int32, 'I64': torch.int64, 'U8': torch.uint8, 'BOOL': torch.bool}


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    header.pop('__metadata__', None)
    out = {}
    for name, info in header.items():
        start, end = info['data_offsets']
        buf = bytearray(raw[8 + n + start:8 + n + end])
        t = torch.frombuffer(buf, dtype=_DTYPES[info['dtype']]) if buf else torch.empty(0, dtype=_DTYPES[info['dtype']])
        out[name] = t.reshape(info['shape'])
    return out


class SequenceClassifier(nn.Module):
    def __init__(self, kind, input_size, hidden_size, classes):
        super().__init__()
        layer = {'rnn': nn.RNN, 'lstm': nn.LSTM, 'gru': nn.GRU}[kind]
        self.rnn = layer(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, classes)

    def forward(self, x):
        steps = x.reshape(x.shape[0], -1, x.shape[-1])
        _, state = self.rnn(steps)
        h = state[0] if isinstance(state, tuple) else state  # an LSTM's state is (h, c)
        return self.fc(h[-1])  # the last layer's final hidden state


def make_optimizer(params, cfg):
    lr, wd = cfg['lr'], cfg.get('weightDecay', 0)
    name = cfg.get('optimizer', 'adam')
    if name == 'adam':
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if name == 'adamw':
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == 'rmsprop':
        return torch.optim.RMSprop(params, lr=lr, weight_decay=wd)
    if name == 'adagrad':
        return torch.optim.Adagrad(params, lr=lr, weight_decay=wd)
    return torch.optim.SGD(params, lr=lr, momentum=cfg.get('momentum', 0.9), weight_decay=wd)


def make_scheduler(opt, cfg, total_steps):
    """As src/train/optimizers.ts makeScheduler: stepped every batch over the run's total_steps."""
    name = cfg.get('scheduler', 'cosine')
    if name == 'none':
        return None
    if name == 'step':
        return torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, -(-total_steps // 3)), gamma=0.1)
    if name == 'onecycle':
        cycle = cfg.get('optimizer', 'adam') not in ('adagrad', 'rmsprop')
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg['lr'], total_steps=total_steps, cycle_momentum=cycle)
    return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)


def train_step(model, opt, sched, x, y, clip=None):
    """One step, as tapegrad's classifierStep (src/train/families/classify.ts)."""
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    if clip is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    if sched is not None:
        sched.step()
    return loss.item()


def parity(job):
    torch.set_default_dtype(torch.float64)
    model = SequenceClassifier(job['kind'], job['inputSize'], job['hiddenSize'], job['classes']).double()
    model.load_state_dict(read_safetensors(job['weights']), strict=True)
    batches = read_safetensors(job['batches'])
    opt = make_optimizer(model.parameters(), job)
    sched = make_scheduler(opt, job, job['totalSteps'])
    losses = []
    for i in range(job['steps']):
        x, y = batches['x%d' % i], batches['y%d' % i].long()
        losses.append(train_step(model, opt, sched, x, y, job.get('clipGradNorm')))
    print(json.dumps({'keys': sorted(model.state_dict().keys()), 'losses': losses}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--parity', help='a parity job (JSON file)')
    p.add_argument('--kind', default='lstm', choices=['rnn', 'lstm', 'gru'])
    p.add_argument('--train')
    p.add_argument('--test')
    p.add_argument('--hidden', type=int, default=64)
    p.add_argument('--epochs', type=int, default=15)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--lr', type=float, default=1e-2)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    if args.parity:
        with open(args.parity) as f:
            parity(json.load(f))
        return
    if not (args.train and args.test):
        p.error('--train and --test (safetensors with images [N,1,H,W] and labels [N]) or --parity JOB')
    torch.manual_seed(args.seed)
    train, test = read_safetensors(args.train), read_safetensors(args.test)
    x, y = train['images'].float(), train['labels'].long()
    mean, std = x.mean(), x.std(unbiased=False)
    x, xt = (x - mean) / std, (test['images'].float() - mean) / std
    model = SequenceClassifier(args.kind, x.shape[-1], args.hidden, int(y.max()) + 1)
    cfg = {'optimizer': 'adam', 'lr': args.lr, 'scheduler': 'onecycle'}
    opt = make_optimizer(model.parameters(), cfg)
    steps = -(-x.shape[0] // args.batch_size)
    sched = make_scheduler(opt, cfg, args.epochs * steps)
    for epoch in range(args.epochs):
        model.train()
        for idx in torch.randperm(x.shape[0]).split(args.batch_size):
            train_step(model, opt, sched, x[idx], y[idx])
    model.eval()
    with torch.no_grad():
        accuracy = (model(xt).argmax(1) == test['labels'].long()).double().mean().item()
    print('accuracy %.2f%%' % (100 * accuracy))


if __name__ == '__main__':
    sys.exit(main())
