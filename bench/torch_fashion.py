"""W3 in PyTorch: Fashion-MNIST, MLP(784, [256, 128, 10]) ReLU, cross-entropy, mini-batches
of 64 in the batch order bench/fashion wrote to DIR (the same shuffles), AdamW with
PyTorch's defaults, N threads: time per epoch and test accuracy after each. The images are
read from the same IDX files (pixels / 255). Checked first: the float64 first-batch loss
and gradients against the C run's. Prints RESULT lines for bench/run.sh.
Usage: /usr/bin/python3 torch_fashion.py DIR EPOCHS THREADS DTYPE [DATA_DIR]
(DTYPE float64 or float32)"""
import ctypes
import gzip
import os
import sys
import time

import numpy as np
import torch

SIZES, B = [784, 256, 128, 10], 64


def set_threads(n):
    """torch's own threads and OpenBLAS's pthreads, which torch does not control."""
    torch.set_num_threads(n)
    for lib in ("libopenblas.so.0", "libblas.so.3"):
        try:
            ctypes.CDLL(lib).openblas_set_num_threads(n)
            return
        except (OSError, AttributeError):
            pass


def idx(path):
    """An IDX file (gzipped or not) as a numpy array of bytes in its shape."""
    for p in (path, path + ".gz"):
        if os.path.exists(p):
            with open(p, "rb") as f:
                data = f.read()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            ndim = data[3]
            shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)
    sys.exit(f"torch_fashion: {path} not found")


def load(d, name, shape=None):
    a = np.fromfile(os.path.join(d, name), dtype="<f8")
    return torch.from_numpy(a.reshape(shape) if shape else a)


def main():
    d, epochs, threads, dtype = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    data = sys.argv[5] if len(sys.argv) > 5 else "/usr/share/datasets/fashion-mnist"
    dt = {"float64": torch.float64, "float32": torch.float32}[dtype]
    set_threads(threads)
    xtr = torch.from_numpy(idx(f"{data}/train-images-idx3-ubyte").reshape(-1, 784) / 255.0)
    ytr = torch.from_numpy(idx(f"{data}/train-labels-idx1-ubyte").astype(np.int64))
    xte = torch.from_numpy(idx(f"{data}/t10k-images-idx3-ubyte").reshape(-1, 784) / 255.0)
    yte = torch.from_numpy(idx(f"{data}/t10k-labels-idx1-ubyte").astype(np.int64))
    n = xtr.shape[0]
    order = load(d, "order.f64").long()
    if order.numel() < epochs * n:
        sys.exit(f"torch_fashion: {d}/order.f64 has fewer than {epochs} epochs")
    order = order[:epochs * n].reshape(epochs, n)

    layers = []
    for l in range(3):
        layer = torch.nn.Linear(SIZES[l], SIZES[l + 1]).double()
        with torch.no_grad():
            layer.weight.copy_(load(d, f"w{l}.f64", (SIZES[l + 1], SIZES[l])))
            layer.bias.copy_(load(d, f"b{l}.f64"))
        layers.append(layer)

    def logits(x):
        h = torch.relu(layers[0](x))
        h = torch.relu(layers[1](h))
        return layers[2](h)

    # check: the first batch in file order, float64
    loss = torch.nn.functional.cross_entropy(logits(xtr[:B]), ytr[:B])
    loss.backward()
    grads = torch.cat([torch.cat([l.weight.grad, l.bias.grad[:, None]], 1).reshape(-1) for l in layers])
    loss0, grad0 = load(d, "loss0.f64")[0].item(), load(d, "grad0.f64")
    gdiff = ((grads - grad0).abs() / torch.clamp(grad0.abs(), min=1e-3 * grad0.abs().max().item())).max().item()
    if abs(loss.item() - loss0) > 1e-12 * abs(loss0) or gdiff > 1e-10:
        sys.exit(f"torch_fashion: first batch differs from micrograd's: loss {loss.item()!r} vs {loss0!r}, "
                 f"gradient {gdiff:.3g}")

    for layer in layers:
        layer.to(dt)
        layer.zero_grad(set_to_none=True)
    xtr, xte = xtr.to(dt), xte.to(dt)
    opt = torch.optim.AdamW([p for l in layers for p in l.parameters()])
    times, best, elapsed, reached = [], 0.0, 0.0, -1.0
    for e in range(epochs):
        t0 = time.perf_counter()
        for s0 in range(0, n, B):
            sel = order[e, s0:s0 + B]
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(logits(xtr[sel]), ytr[sel])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
        elapsed += times[-1]
        with torch.no_grad():
            acc = (logits(xte).argmax(1) == yte).double().mean().item()
        best = max(best, acc)
        if reached < 0 and acc >= 0.883:
            reached = elapsed
        print(f"W3 fashion torch {dtype}, {threads} threads: epoch {e + 1:2d}: {times[-1]:.2f} s, "
              f"test accuracy {100 * acc:.2f}%", flush=True)
    tag = "f64" if dt == torch.float64 else "f32"
    print(f"RESULT W3_torch_{tag}_epoch_s {float(np.median(times)):.6g}")
    print(f"RESULT W3_torch_{tag}_best_acc {best:.6g}")
    print(f"RESULT W3_torch_{tag}_s_to_883 {reached:.6g}")


if __name__ == "__main__":
    main()
