/**
 * @file What both PyTorch programs carry (src/train/torch-program.ts's for the mlp/cnn runs,
 * src/train/torch-program-families*.ts's for the families): train.py's reading of IDX files and the
 * run's augmentation, and the README's closing sections (several machines, back to tapegrad) —
 * written once so the two programs cannot drift apart.
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
