"""PyTorch as a benchmark peer: the workloads of bench/workloads.ts, timed the way bench/measure.ts
times them, printed as one marked JSON line for bench/run.ts. Usage (run.ts calls it):
  python3 pytorch.py IDS MODE THREADS [FASHION_DIR]
E1 runs ../shared/bench/fashion_torch.py (the PyTorch mirror of the CLI recipe) for one epoch and
takes the training time it prints, as E1 takes tapegrad's from its own timings.json."""
import json, math, os, re, subprocess, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

RESULT_MARK = "@@bench "
# bench/measure.ts FULL and QUICK
FULL = dict(warmup=30, warmupMs=1500, warmupCapMs=6000, minRuns=7, maxRuns=40, budgetMs=4000, slowMs=3000)
QUICK = dict(warmup=20, warmupMs=300, warmupCapMs=1500, minRuns=3, maxRuns=10, budgetMs=800, slowMs=1000)
HERE = os.path.dirname(os.path.abspath(__file__))
FASHION_SCRIPT = os.path.join(HERE, "..", "..", "..", "shared", "bench", "fashion_torch.py")


def median(xs):
    s = sorted(xs)
    h = len(s) // 2
    return s[h] if len(s) % 2 else (s[h - 1] + s[h]) / 2


def time_steps(step, o):
    def one():
        t0 = time.perf_counter()
        step()
        return (time.perf_counter() - t0) * 1000

    times = []
    first = one()
    min_runs = o["minRuns"]
    if first > o["slowMs"]:
        times.append(first / 1000)
        min_runs = max(1, min(min_runs, int(o["budgetMs"] * 4 // first)))
    else:
        warm, i = first, 1
        while (i < o["warmup"] and warm < o["warmupCapMs"]) or warm < o["warmupMs"]:
            warm += one()
            i += 1
    spent = 0.0
    while len(times) < min_runs or (len(times) < o["maxRuns"] and spent < o["budgetMs"]):
        ms = one()
        spent += ms
        times.append(ms / 1000)
    return times


def rand(*shape, grad=False):
    return (torch.rand(*shape) * 2 - 1).requires_grad_(grad)


def grad_step(f, inputs, gy):
    def step():
        for x in inputs:
            x.grad = None
        f().backward(gy)
    return step


def conv(n, c, h, w, k, fh, fw, stride, padding, bias):
    x, wt = rand(n, c, h, w, grad=True), rand(k, c, fh, fw, grad=True)
    b = rand(k, grad=True) if bias else None
    ho, wo = (h + 2 * padding - fh) // stride + 1, (w + 2 * padding - fw) // stride + 1
    inputs = [x, wt] + ([b] if bias else [])
    return grad_step(lambda: F.conv2d(x, wt, b, stride=stride, padding=padding), inputs, rand(n, k, ho, wo))


def train_step(net, opt, batch):
    x, y = rand(batch, 1, 28, 28), torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    return step


def lenet():
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                        nn.Linear(84, 10))
    return train_step(net, torch.optim.SGD(net.parameters(), lr=0.01), 64)


def lenet_bn():
    # The network of fashion_torch.py (and of tapegrad's LeNet5 in src/train/models.ts).
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(6, 16, 5, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(400, 120), nn.BatchNorm1d(120), nn.ReLU(), nn.Linear(120, 84), nn.BatchNorm1d(84),
                        nn.ReLU(), nn.Linear(84, 10))
    net.train()
    return train_step(net, torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4), 32)


def chain():
    x = torch.tensor([0.5], requires_grad=True)
    c_add, c_mul = torch.tensor([0.1]), torch.tensor([0.9])

    def step():
        x.grad = None
        y = x
        for i in range(2000):
            y = y + c_add if i % 3 == 0 else y * c_mul if i % 3 == 1 else torch.tanh(y)
        y.backward()
    return step


def convolve():
    # tapegrad's convolve is the flipped-kernel (true) convolution; conv1d is correlation. Same work.
    x, w = rand(1, 1, 100_000, grad=True), rand(1, 1, 101, grad=True)
    return grad_step(lambda: F.conv1d(x, w.flip(-1)), [x, w], rand(1, 1, 100_000 - 101 + 1))


def matmul():
    a, b = rand(256, 512, grad=True), rand(512, 256, grad=True)
    return grad_step(lambda: a @ b, [a, b], rand(256, 256))


def lstm_language_model():
    # W8 of bench/workloads.ts: time-first tokens -> Embedding -> LSTM -> Linear -> cross-entropy, Adam.
    steps, batch, vocab, embed, hidden = 35, 32, 96, 64, 256
    emb, lstm, head = nn.Embedding(vocab, embed), nn.LSTM(embed, hidden), nn.Linear(hidden, vocab)
    opt = torch.optim.Adam([*emb.parameters(), *lstm.parameters(), *head.parameters()], lr=1e-3)
    x, nxt = torch.randint(0, vocab, (steps, batch)), torch.randint(0, vocab, (steps * batch,))

    def step():
        opt.zero_grad()
        h, _ = lstm(emb(x))
        F.cross_entropy(head(h).reshape(steps * batch, vocab), nxt).backward()
        opt.step()
    return step


def conv_autoencoder():
    # W9: two stride-2 convolutions down, two transposed convolutions up, sigmoid, BCE against the input, Adam.
    net = nn.Sequential(nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(16, 32, 3, stride=2, padding=1),
                        nn.ReLU(), nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                        nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    images = torch.rand(64, 1, 28, 28)

    def step():
        opt.zero_grad()
        F.binary_cross_entropy(net(images), images).backward()
        opt.step()
    return step


def decoder_transformer():
    # W10: token + learned position embeddings, 4 pre-norm GELU layers under a causal mask (torch 1.13 has no
    # is_causal: the additive -inf mask a 1.13 user passes), final LayerNorm, Linear head, cross-entropy, AdamW.
    batch, context, vocab, d = 16, 64, 96, 128
    emb = nn.Embedding(vocab, d)
    position = nn.Parameter(torch.randn(context, d) * 0.02)
    layer = nn.TransformerEncoderLayer(d, 4, dim_feedforward=512, dropout=0.0, activation="gelu", batch_first=True,
                                       norm_first=True)
    decoder = nn.TransformerEncoder(layer, 4, norm=nn.LayerNorm(d), enable_nested_tensor=False)
    head = nn.Linear(d, vocab)
    opt = torch.optim.AdamW([*emb.parameters(), position, *decoder.parameters(), *head.parameters()], lr=3e-4,
                            weight_decay=0.01)
    mask = torch.triu(torch.full((context, context), float("-inf")), diagonal=1)
    x, nxt = torch.randint(0, vocab, (batch, context)), torch.randint(0, vocab, (batch * context,))

    def step():
        opt.zero_grad()
        h = decoder(emb(x) + position, mask=mask)
        F.cross_entropy(head(h).reshape(batch * context, vocab), nxt).backward()
        opt.step()
    return step


SETUP = {
    "W1": lambda: conv(32, 16, 32, 32, 32, 3, 3, 1, 1, True),
    "W2": lambda: conv(64, 3, 32, 32, 16, 5, 5, 2, 2, False),
    "W3": matmul,
    "W4": lenet,
    "W5": chain,
    "W6": convolve,
    "W7": lenet_bn,
    "W8": lstm_language_model,
    "W9": conv_autoencoder,
    "W10": decoder_transformer,
}


def fashion_epoch(data_dir, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, FASHION_SCRIPT, data_dir, "1", str(threads)], env=env,
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"train ([0-9.]+)s", out)
    if not m:
        raise RuntimeError(f"fashion_torch.py printed no epoch time: {out!r}")
    sys.stderr.write(f"  {out.strip()}\n")
    return float(m.group(1))


def text_epoch(threads):
    """E2: one epoch of the character LSTM mirror (examples/torch/char_lm.py) on the shipped text, its training time."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "torch", "char_lm.py")
    out = subprocess.run([sys.executable, script, "--kind", "lstm", "--epochs", "1", "--threads", str(threads)], env=env,
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"train ([0-9.]+)s", out)
    if not m:
        raise RuntimeError(f"char_lm.py printed no epoch time: {out!r}")
    sys.stderr.write(f"  {out.strip().splitlines()[0]}\n")
    return float(m.group(1))


def configuration():
    """The build a user's numbers depend on: version, BLAS, LAPACK, oneDNN and the CPU capability in use."""
    show = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=([^,\s]+)", show)
    cap = re.search(r"CPU capability usage: (\S+)", show)
    mkl = torch.backends.mkl.is_available()
    dnnl = torch.backends.mkldnn.is_available()
    return (f"BLAS {blas.group(1) if blas else 'unknown'}{' (MKL)' if mkl else ''}, oneDNN {'on' if dnnl else 'off'}, "
            f"CPU capability {cap.group(1) if cap else 'unknown'}")


def main():
    ids, mode, threads = sys.argv[1].split(","), sys.argv[2], int(sys.argv[3])
    data_dir = sys.argv[4] if len(sys.argv) > 4 else ""
    # Every pool pinned, as a user who sets a thread count gets it: intra-op (OpenMP/MKL/OpenBLAS, also
    # pinned by the environment run.ts passes) and inter-op.
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)
    torch.manual_seed(0)
    opts = QUICK if mode == "quick" else FULL
    # The version in the label: a run with several PyTorch peers (TAPEGRAD_BENCH_PYTHON=a,b) tells them apart.
    label = f"PyTorch {torch.__version__.split('+')[0]}"
    result = dict(label=label, seconds={}, runs={}, errors={},
                  about=f"PyTorch {torch.__version__} ({configuration()}), Python {sys.version.split()[0]}, {sys.executable}")
    for wid in ids:
        try:
            if wid == "E1":
                if not data_dir:
                    continue
                result["seconds"][wid] = fashion_epoch(data_dir, threads)
                result["runs"][wid] = 1
            elif wid == "E2":
                result["seconds"][wid] = text_epoch(threads)
                result["runs"][wid] = 1
            elif wid in SETUP:
                times = time_steps(SETUP[wid](), opts)
                result["seconds"][wid] = median(times)
                result["runs"][wid] = len(times)
            else:
                continue
            sys.stderr.write(f"  {label} {wid}: {result['seconds'][wid] * 1000:.2f} ms/step over {result['runs'][wid]} runs\n")
        except Exception as e:  # a workload the peer cannot run shows as '—'
            result["errors"][wid] = str(e).split("\n")[0]
            sys.stderr.write(f"  {label} {wid}: cannot run ({result['errors'][wid]})\n")
    sys.stdout.write(f"\n{RESULT_MARK}{json.dumps(result)}\n")


if __name__ == "__main__":
    main()
