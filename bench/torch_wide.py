"""W2 in PyTorch: MLP(64, [64, 64, 10]) ReLU, softmax cross-entropy over 1,797 samples, one
full-batch SGD step (lr 0.1), float64 and float32, 1 and 2 threads, on the data and initial
weights bench/wide wrote to DIR. Checked first: the float64 step-0 loss and gradients
against the C run's. Prints RESULT lines for bench/run.sh.
Usage: /usr/bin/python3 torch_wide.py DIR [STEPS]"""
import ctypes
import os
import sys
import time

import numpy as np
import torch

N, NIN, K = 1797, 64, 10
SIZES = [NIN, 64, 64, K]


def set_threads(n):
    """torch's own threads and OpenBLAS's pthreads, which torch does not control."""
    torch.set_num_threads(n)
    for lib in ("libopenblas.so.0", "libblas.so.3"):
        try:
            ctypes.CDLL(lib).openblas_set_num_threads(n)
            return
        except (OSError, AttributeError):
            pass


def load(d, name, shape=None):
    a = np.fromfile(os.path.join(d, name), dtype="<f8")
    return torch.from_numpy(a.reshape(shape) if shape else a)


def build(d, dtype):
    layers = []
    for l in range(3):
        layer = torch.nn.Linear(SIZES[l], SIZES[l + 1]).to(dtype)
        with torch.no_grad():
            layer.weight.copy_(load(d, f"w{l}.f64", (SIZES[l + 1], SIZES[l])))
            layer.bias.copy_(load(d, f"b{l}.f64"))
        layers.append(layer)
    return layers


def loss_of(layers, x, y):
    h = torch.relu(layers[0](x))
    h = torch.relu(layers[1](h))
    return torch.nn.functional.cross_entropy(layers[2](h), y)


def main():
    d = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    x64 = load(d, "x.f64", (N, NIN))
    y = load(d, "y.f64").long()

    # check: step 0 in float64 (gradient in micrograd's order: per neuron, weights then bias)
    layers = build(d, torch.float64)
    loss = loss_of(layers, x64, y)
    loss.backward()
    grads = torch.cat([torch.cat([l.weight.grad, l.bias.grad[:, None]], 1).reshape(-1) for l in layers])
    loss0, grad0 = load(d, "loss0.f64")[0].item(), load(d, "grad0.f64")
    gdiff = ((grads - grad0).abs() / torch.clamp(grad0.abs(), min=1e-3 * grad0.abs().max().item())).max().item()
    if abs(loss.item() - loss0) > 1e-12 * abs(loss0) or gdiff > 1e-10:
        sys.exit(f"torch_wide: step 0 differs from micrograd's: loss {loss.item()!r} vs {loss0!r}, gradient {gdiff:.3g}")

    for dtype, tag in ((torch.float64, "f64"), (torch.float32, "f32")):
        x = x64.to(dtype)
        for threads in (1, 2):
            set_threads(threads)
            layers = build(d, dtype)
            opt = torch.optim.SGD([p for l in layers for p in l.parameters()], lr=0.1)
            times = []
            for _ in range(steps):
                t0 = time.perf_counter()
                opt.zero_grad(set_to_none=True)
                loss = loss_of(layers, x, y)
                loss.backward()
                opt.step()
                times.append(time.perf_counter() - t0)
            ms = float(np.median(times)) * 1e3
            print(f"W2 wide torch {tag}, {threads} thread(s): {ms:.3f} ms/step (median of {steps}), "
                  f"loss after {steps} steps {loss.item():.6f}")
            print(f"RESULT W2_torch_{tag}_{threads}t_ms {ms:.6g}")
    print(f"W2 wide torch: step-0 gradient diff {gdiff:.2g}; BLAS: "
          f"{'OpenBLAS' if 'openblas' in torch.__config__.show().lower() else 'see torch.__config__.show()'}")


if __name__ == "__main__":
    main()
