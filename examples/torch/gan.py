"""The PyTorch mirror of tapegrad's GAN family (src/train/families/gan.ts and gan-model.ts).

The same DCGAN-style generator and discriminator (state_dict keys equal tapegrad's: main.0.weight,
main.1.running_mean, ...), the same two Adam optimisers (betas 0.5, 0.999) and the same training step:
the discriminator on BCE(D(real), 1) + BCE(D(fake.detach()), 0), then the generator on BCE(D(fake), 1).
Pixels are in [-1, 1] (tanh output).

  python3 examples/torch/gan.py --parity DIR
      DIR/weights.safetensors holds the initial weights (generator.* and discriminator.*),
      DIR/batches.safetensors the real batches real_0, real_1, ... and the noise z_0, z_1, ...,
      DIR/job.json {"latent", "width", "side", "lr", "beta1", "steps"}. Runs the steps in float64 and
      prints {"dLoss": [...], "gLoss": [...], "dReal": [...], "dFake": [...], "keys": {...}} as JSON.
  python3 examples/torch/gan.py [--epochs 80]
      Trains on tapegrad's bundled digits (data/digits.csv.gz) and prints the losses per epoch.

Plain torch only (no torchvision, no safetensors package).
"""
import argparse
import gzip
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def read_safetensors(path):
    """The tensors of a safetensors file by name, read with struct and json (as tapegrad's export does)."""
    dtypes = {'F64': torch.float64, 'F32': torch.float32, 'I32': torch.int32, 'I64': torch.int64, 'U8': torch.uint8, 'BOOL': torch.bool}
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    header.pop('__metadata__', None)
    body = data[8 + n:]
    out = {}
    for name, e in header.items():
        start, end = e['data_offsets']
        raw = bytearray(body[start:end])
        t = torch.frombuffer(raw, dtype=dtypes[e['dtype']]) if end > start else torch.zeros(0, dtype=dtypes[e['dtype']])
        out[name] = t.reshape(e['shape']).clone()
    return out


def dcgan_init(module):
    """DCGAN's weights_init: conv weights from N(0, 0.02^2), batch-norm weights from N(1, 0.02^2), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """z [N, latent] -> images [N, 1, side, side] in [-1, 1]."""

    def __init__(self, latent, width, side):
        super().__init__()
        self.latent = latent
        w = width
        self.main = nn.Sequential(
            nn.ConvTranspose2d(latent, 2 * w, side // 4, bias=False),
            nn.BatchNorm2d(2 * w),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(w),
            nn.ReLU(),
            nn.ConvTranspose2d(w, 1, 4, stride=2, padding=1, bias=False),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z.reshape(z.shape[0], self.latent, 1, 1))


class Discriminator(nn.Module):
    """images [N, 1, side, side] -> logits [N]."""

    def __init__(self, width, side):
        super().__init__()
        w = width
        self.main = nn.Sequential(
            nn.Conv2d(1, w, 4, stride=2, padding=1, bias=False),
            nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(2 * w),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 1, side // 4, bias=False),
        )

    def forward(self, x):
        return self.main(x).reshape(x.shape[0])


def gan_step(g, d, opt_g, opt_d, real, z):
    """One adversarial step, as tapegrad's GanTrainer.step; returns (dLoss, gLoss, dReal, dFake)."""
    g.train()
    d.train()
    n = real.shape[0]
    is_real = torch.ones(n, dtype=real.dtype)
    is_fake = torch.zeros(n, dtype=real.dtype)
    fake = g(z)
    opt_d.zero_grad()
    real_logits = d(real)
    fake_logits = d(fake.detach())
    d_loss = F.binary_cross_entropy_with_logits(real_logits, is_real) + F.binary_cross_entropy_with_logits(fake_logits, is_fake)
    d_loss.backward()
    opt_d.step()
    opt_g.zero_grad()
    g_loss = F.binary_cross_entropy_with_logits(d(fake), is_real)
    g_loss.backward()
    opt_g.step()
    with torch.no_grad():
        return d_loss.item(), g_loss.item(), torch.sigmoid(real_logits).mean().item(), torch.sigmoid(fake_logits).mean().item()


def parity(job_dir):
    torch.set_default_dtype(torch.float64)
    with open(os.path.join(job_dir, 'job.json')) as f:
        job = json.load(f)
    g = Generator(job['latent'], job['width'], job['side']).double()
    d = Discriminator(job['width'], job['side']).double()
    weights = read_safetensors(os.path.join(job_dir, 'weights.safetensors'))
    for name, net in (('generator', g), ('discriminator', d)):
        prefix = name + '.'
        net.load_state_dict({k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}, strict=True)
    betas = (job['beta1'], 0.999)
    opt_g = torch.optim.Adam(g.parameters(), lr=job['lr'], betas=betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=job['lr'], betas=betas)
    batches = read_safetensors(os.path.join(job_dir, 'batches.safetensors'))
    out = {'dLoss': [], 'gLoss': [], 'dReal': [], 'dFake': []}
    for i in range(job['steps']):
        r = gan_step(g, d, opt_g, opt_d, batches['real_%d' % i], batches['z_%d' % i])
        for key, v in zip(('dLoss', 'gLoss', 'dReal', 'dFake'), r):
            out[key].append(v)
    out['keys'] = {'generator': list(g.state_dict().keys()), 'discriminator': list(d.state_dict().keys())}
    sys.stdout.write(json.dumps(out))


def load_digits():
    """tapegrad's bundled digits (data/digits.csv.gz): images [1797, 1, 8, 8] in [0, 1]."""
    path = os.path.join(HERE, '..', '..', 'data', 'digits.csv.gz')
    rows = [line.split(',') for line in gzip.decompress(open(path, 'rb').read()).decode().splitlines() if line.strip()]
    return torch.tensor([[float(v) / 16 for v in r[:64]] for r in rows]).reshape(-1, 1, 8, 8)


def train(epochs, seed):
    torch.manual_seed(seed)
    x = load_digits() * 2 - 1
    latent, width, side, batch = 32, 32, 8, 64
    g, d = Generator(latent, width, side), Discriminator(width, side)
    dcgan_init(g)
    dcgan_init(d)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-3, betas=(0.5, 0.999))
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(x))
        sums, count = [0.0, 0.0], 0
        for start in range(0, len(x) - batch + 1, batch):
            real = x[order[start:start + batch]]
            d_loss, g_loss, _, _ = gan_step(g, d, opt_g, opt_d, real, torch.randn(batch, latent))
            sums[0] += d_loss
            sums[1] += g_loss
            count += 1
        print('epoch %d: D loss %.3f, G loss %.3f' % (epoch, sums[0] / count, sums[1] / count))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--parity', metavar='DIR', help='run the parity job in DIR and print the losses as JSON')
    p.add_argument('--epochs', type=int, default=80)
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    if a.parity:
        parity(a.parity)
    else:
        train(a.epochs, a.seed)
