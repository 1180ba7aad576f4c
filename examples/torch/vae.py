"""The `tapegrad train --model vae` network and training step in plain PyTorch (no torchvision).

Mirror of src/train/families/autoencoder-model.ts (ConvVae, vaeLoss, vaeStep): conv 3x3 -> ReLU -> 2x2 max
pool, twice, flattened into linear heads mu and logvar; z = mu + eps * exp(logvar / 2); a linear layer
and ReLU back to feature maps, two ConvTranspose2d (kernel 2, stride 2) to pixel logits. The loss is the
binary cross-entropy of the pixels (with logits, summed) plus KL(q(z|x) || N(0, I)), per image; Adam with a
cosine schedule stepped every batch. The state_dict keys equal tapegrad's.

Parity mode (tests/family-autoencoder.test.ts):
    python3 vae.py WEIGHTS.safetensors BATCHES.safetensors
BATCHES holds `x` [steps,B,C,H,W] and the noise `eps` [steps,B,latent] tapegrad drew, and in its metadata
the widths and the optimiser's settings. Runs every step in float64 and prints
{"keys": [...], "losses": [...], "kl": [...]} as JSON.
"""
import json
import struct
import sys

import torch
from torch import nn
import torch.nn.functional as F

_DTYPES = {'F64': torch.float64, 'F32': torch.float32, 'I32': torch.int32, 'I64': torch.int64, 'U8': torch.uint8}


def read_safetensors(path):
    """A safetensors file without the safetensors package: (tensors by name, metadata)."""
    with open(path, 'rb') as f:
        raw = f.read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', None) or {}
    out = {}
    for name, info in header.items():
        start, end = info['data_offsets']
        buf = bytearray(raw[8 + n + start:8 + n + end])
        t = torch.frombuffer(buf, dtype=_DTYPES[info['dtype']]) if buf else torch.empty(0, dtype=_DTYPES[info['dtype']])
        out[name] = t.reshape(info['shape'])
    return out, meta


class ConvVae(nn.Module):
    def __init__(self, channels, height, width, hidden1, hidden2, latent):
        super().__init__()
        flat = hidden2 * (height // 4) * (width // 4)
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, hidden1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(hidden1, hidden2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.mu = nn.Linear(flat, latent)
        self.logvar = nn.Linear(flat, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, flat), nn.ReLU(), nn.Unflatten(1, (hidden2, height // 4, width // 4)),
            nn.ConvTranspose2d(hidden2, hidden1, 2, stride=2), nn.ReLU(),
            nn.ConvTranspose2d(hidden1, channels, 2, stride=2),
        )

    def run(self, x, eps):
        """Pixel logits, mu and logvar for images x and noise eps."""
        features = self.encoder(x)
        mu, logvar = self.mu(features), self.logvar(features)
        z = mu + eps * torch.exp(0.5 * logvar)
        return self.decoder(z), mu, logvar

    def forward(self, x):
        """The reconstruction in [0, 1] from z = mu."""
        logits, _, _ = self.run(x, torch.zeros(x.shape[0], self.mu.out_features))
        return torch.sigmoid(logits)


def vae_loss(logits, mu, logvar, x):
    """(BCE summed over the pixels + KL) per image, and the KL part per image."""
    n = x.shape[0]
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction='sum')
    kl = -0.5 * torch.sum(1 + logvar - mu * mu - torch.exp(logvar))
    return (reconstruction + kl) / n, kl / n


def train_step(model, optimizer, scheduler, x, eps, clip=None):
    loss, kl = vae_loss(*model.run(x, eps), x)
    optimizer.zero_grad()
    loss.backward()
    if clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    scheduler.step()
    return loss.item(), kl.item()


def main(weights_path, batches_path):
    torch.set_default_dtype(torch.float64)
    weights, _ = read_safetensors(weights_path)
    batches, meta = read_safetensors(batches_path)
    x, eps = batches['x'], batches['eps']
    _, _, c, h, w = x.shape
    model = ConvVae(c, h, w, int(meta['hidden1']), int(meta['hidden2']), eps.shape[2])
    model.load_state_dict({k: v.double() for k, v in weights.items()}, strict=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=float(meta['lr']), weight_decay=float(meta['weightDecay']))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=int(meta['totalSteps']))
    model.train()
    losses, kls = [], []
    for i in range(x.shape[0]):
        loss, kl = train_step(model, optimizer, scheduler, x[i].double(), eps[i].double())
        losses.append(loss)
        kls.append(kl)
    print(json.dumps({'keys': list(model.state_dict().keys()), 'losses': losses, 'kl': kls}))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
