"""The PyTorch mirror of tapegrad's `train --model dbn` (src/train/families/dbn.ts): a deep belief network.

RBMs with Bernoulli visible and hidden units are pre-trained greedily with contrastive divergence CD-k,
written through the free energy F(v) = -b.v - sum_j softplus(c_j + W_j.v): the loss
mean F(v_data) - mean F(v_k), with v_k drawn after k Gibbs steps without a graph, has the CD-k update as
its gradient. Bernoulli draws are `u < p` with uniforms u. Then each RBM's weight and hidden bias
initialise a Linear layer (followed by a sigmoid), an output Linear layer is added, and the stack is
fine-tuned with cross-entropy.

    python3 dbn.py --parity job.json
        the parity mode of tests/family-classify.test.ts: the job names the initial weights, the batches
        and the uniforms (safetensors written by tapegrad's tg.save); it runs CD steps on each RBM and
        fine-tuning steps in float64 and prints the losses as JSON;
    python3 dbn.py --train train.safetensors --test test.safetensors
        pre-trains and fine-tunes on those images ([N,1,H,W] in [0, 1]) and prints the test accuracy.

Plain torch only: safetensors files are read by hand (struct + json).
"""
import argparse
import json
import struct
import sys

import torch
import torch.nn.functional as F
from torch import nn

_DTYPES = {'F64': torch.float64, 'F32': torch.float32, 'I32': torch.int32, 'I64': torch.int64, 'U8': torch.uint8, 'BOOL': torch.bool}

CD_K = 1
PRETRAIN = {'lr': 0.1, 'momentum': 0.9}


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


class RBM(nn.Module):
    def __init__(self, visible, hidden):
        super().__init__()
        self.weight = nn.Parameter(0.01 * torch.randn(hidden, visible))
        self.visibleBias = nn.Parameter(torch.zeros(visible))
        self.hiddenBias = nn.Parameter(torch.zeros(hidden))

    def hidden_probabilities(self, v):
        return torch.sigmoid(F.linear(v, self.weight, self.hiddenBias))

    def visible_probabilities(self, h):
        return torch.sigmoid(h @ self.weight + self.visibleBias)

    def free_energy(self, v):
        return -(v @ self.visibleBias) - F.softplus(F.linear(v, self.weight, self.hiddenBias)).sum(1)

    def forward(self, v):
        return self.hidden_probabilities(v)


def bernoulli(p, u):
    return (u < p).to(p.dtype)


def contrastive_divergence(rbm, v0, k, uniform):
    """uniform(shape) gives the next uniforms: for h, then for v, at every Gibbs step."""
    with torch.no_grad():
        v = v0
        for step in range(k):
            h = bernoulli(rbm.hidden_probabilities(v), uniform((v.shape[0], rbm.weight.shape[0])))
            pv = rbm.visible_probabilities(h)
            if step == 0:
                recon = ((pv - v0) ** 2).mean().item()
            v = bernoulli(pv, uniform(tuple(v0.shape)))
    return rbm.free_energy(v0).mean() - rbm.free_energy(v).mean(), recon


def rbm_step(rbm, opt, v0, k, uniform):
    loss, recon = contrastive_divergence(rbm, v0, k, uniform)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item(), recon


class DeepBeliefNet(nn.Module):
    def __init__(self, sizes, classes):
        super().__init__()
        self.rbms = nn.ModuleList([RBM(sizes[l], sizes[l + 1]) for l in range(len(sizes) - 1)])
        layers = []
        for l in range(len(sizes) - 1):
            layers += [nn.Linear(sizes[l], sizes[l + 1]), nn.Sigmoid()]
        layers.append(nn.Linear(sizes[-1], classes))
        self.classifier = nn.Sequential(*layers)
        self.sizes = sizes

    def rbm_input(self, v0, l):
        with torch.no_grad():
            v = v0
            for i in range(l):
                v = self.rbms[i].hidden_probabilities(v)
            return v

    def initialise_classifier(self):
        with torch.no_grad():
            for l, rbm in enumerate(self.rbms):
                self.classifier[2 * l].weight.copy_(rbm.weight)
                self.classifier[2 * l].bias.copy_(rbm.hiddenBias)

    def forward(self, x):
        return self.classifier(x.reshape(x.shape[0], self.sizes[0]))


def make_fine_tune_optimizer(params, cfg):
    if cfg['optimizer'] == 'adam':
        return torch.optim.Adam(params, lr=cfg['lr'], weight_decay=cfg.get('weightDecay', 0))
    return torch.optim.SGD(params, lr=cfg['lr'], momentum=cfg.get('momentum', 0.9), weight_decay=cfg.get('weightDecay', 0))


def fine_tune_step(model, opt, sched, x, y):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if sched is not None:
        sched.step()
    return loss.item()


def parity(job):
    torch.set_default_dtype(torch.float64)
    model = DeepBeliefNet(job['sizes'], job['classes']).double()
    model.load_state_dict(read_safetensors(job['weights']), strict=True)
    data = read_safetensors(job['batches'])
    out = {'keys': sorted(model.state_dict().keys()), 'cd': [], 'recon': [], 'fineTune': []}
    for l in range(len(job['sizes']) - 1):
        rbm = model.rbms[l]
        opt = torch.optim.SGD(rbm.parameters(), **PRETRAIN)
        for i in range(job['cdSteps']):
            queue = [data['u%d_%d_%d' % (l, i, j)] for j in range(2 * CD_K)]
            uniform = lambda shape: queue.pop(0)
            v0 = model.rbm_input(data['v%d' % i], l)
            loss, recon = rbm_step(rbm, opt, v0, CD_K, uniform)
            out['cd'].append(loss)
            out['recon'].append(recon)
    model.initialise_classifier()
    opt = make_fine_tune_optimizer(model.classifier.parameters(), job)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=job['fineTuneSteps'])
    for i in range(job['fineTuneSteps']):
        out['fineTune'].append(fine_tune_step(model, opt, sched, data['x%d' % i], data['y%d' % i].long()))
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--parity', help='a parity job (JSON file)')
    p.add_argument('--train')
    p.add_argument('--test')
    p.add_argument('--pretrain-epochs', type=int, default=10)
    p.add_argument('--epochs', type=int, default=20)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    if args.parity:
        with open(args.parity) as f:
            parity(json.load(f))
        return
    if not (args.train and args.test):
        p.error('--train and --test (safetensors with images [N,1,H,W] in [0,1] and labels [N]) or --parity JOB')
    torch.manual_seed(args.seed)
    train, test = read_safetensors(args.train), read_safetensors(args.test)
    x, y = train['images'].float().flatten(1), train['labels'].long()
    model = DeepBeliefNet([x.shape[1], 256, 256], int(y.max()) + 1)
    binary = (x > 0.5).float()
    uniform = lambda shape: torch.rand(shape)
    for l, rbm in enumerate(model.rbms):
        opt = torch.optim.SGD(rbm.parameters(), **PRETRAIN)
        data = model.rbm_input(binary, l)
        for epoch in range(args.pretrain_epochs):
            for idx in torch.randperm(x.shape[0]).split(args.batch_size):
                rbm_step(rbm, opt, data[idx], CD_K, uniform)
    model.initialise_classifier()
    opt = torch.optim.Adam(model.classifier.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs * -(-x.shape[0] // args.batch_size))
    for epoch in range(args.epochs):
        for idx in torch.randperm(x.shape[0]).split(args.batch_size):
            fine_tune_step(model, opt, sched, x[idx], y[idx])
    with torch.no_grad():
        accuracy = (model(test['images'].float()).argmax(1) == test['labels'].long()).double().mean().item()
    print('accuracy %.2f%%' % (100 * accuracy))


if __name__ == '__main__':
    sys.exit(main())
