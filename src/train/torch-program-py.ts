/**
 * @file The Python both PyTorch programs carry (src/train/torch-program.ts's train.py for the mlp/cnn
 * runs, src/train/torch-program-families-py.ts's for the families): reading IDX files, and the run's
 * augmentation — written once so the two programs cannot drift apart.
 */

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
