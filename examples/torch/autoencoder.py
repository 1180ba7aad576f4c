"""The `tapegrad train --model autoencoder` network and training step in plain PyTorch (no torchvision).

Mirror of src/train/families/autoencoder-model.ts (ConvAutoencoder, autoencoderStep): conv 3x3 -> ReLU ->
2x2 max pool, twice, then two ConvTranspose2d (kernel 2, stride 2) and a sigmoid; loss MSE against the
input; Adam with a cosine schedule stepped every batch. The state_dict keys equal tapegrad's.

Parity mode (tests/family-autoencoder.test.ts):
    python3 autoencoder.py WEIGHTS.safetensors BATCHES.safetensors
WEIGHTS is the initial state dict tapegrad saved with tg.save; BATCHES holds `x` [steps,B,C,H,W] and, in
its metadata, the widths and the optimiser's settings. Runs every step in float64 and prints
{"keys": [...], "losses": [...]} as JSON.
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


class ConvAutoencoder(nn.Module):
    def __init__(self, channels, hidden, code):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, hidden, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(hidden, code, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(code, hidden, 2, stride=2), nn.ReLU(),
            nn.ConvTranspose2d(hidden, channels, 2, stride=2), nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


def train_step(model, optimizer, scheduler, x, clip=None):
    loss = F.mse_loss(model(x), x)
    optimizer.zero_grad()
    loss.backward()
    if clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    scheduler.step()
    return loss.item()


def main(weights_path, batches_path):
    torch.set_default_dtype(torch.float64)
    weights, _ = read_safetensors(weights_path)
    batches, meta = read_safetensors(batches_path)
    x = batches['x']
    model = ConvAutoencoder(x.shape[2], int(meta['hidden']), int(meta['code']))
    model.load_state_dict({k: v.double() for k, v in weights.items()}, strict=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=float(meta['lr']), weight_decay=float(meta['weightDecay']))
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=int(meta['totalSteps']))
    model.train()
    losses = [train_step(model, optimizer, scheduler, x[i].double()) for i in range(x.shape[0])]
    print(json.dumps({'keys': list(model.state_dict().keys()), 'losses': losses}))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
