"""W1 in PyTorch: micrograd's moons demo step (MLP(2, [16, 16, 1]) ReLU, mean hinge loss +
1e-4 L2, SGD with lr 1 - 0.9 k/100), float64, 1 thread, on the data and initial weights
bench/moons wrote to DIR. Checked first: the step-0 loss and gradients and the loss after
100 steps against the C run's. Prints RESULT lines for bench/run.sh.
Usage: /usr/bin/python3 torch_moons.py DIR [REPEATS]"""
import ctypes
import os
import sys
import time

import numpy as np
import torch

N, STEPS, ALPHA = 100, 100, 1e-4


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


def main():
    d = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    set_threads(1)
    x = load(d, "x.f64", (N, 2))
    y = load(d, "y.f64", (N, 1))
    sizes = [2, 16, 16, 1]
    init = [(load(d, f"w{l}.f64", (sizes[l + 1], sizes[l])), load(d, f"b{l}.f64")) for l in range(3)]
    layers = [torch.nn.Linear(sizes[l], sizes[l + 1]).double() for l in range(3)]
    params = [p for layer in layers for p in (layer.weight, layer.bias)]
    opt = torch.optim.SGD(params, lr=1.0)

    def restart():
        with torch.no_grad():
            for layer, (w, b) in zip(layers, init):
                layer.weight.copy_(w)
                layer.bias.copy_(b)

    def loss_of():
        h = torch.relu(layers[0](x))
        h = torch.relu(layers[1](h))
        score = layers[2](h)
        data_loss = torch.relu(1 - y * score).mean()
        reg = ALPHA * sum((p * p).sum() for p in params)
        return data_loss + reg

    def step(k):
        for g in opt.param_groups:
            g["lr"] = 1.0 - 0.9 * k / STEPS
        opt.zero_grad(set_to_none=True)
        loss = loss_of()
        loss.backward()
        opt.step()
        return loss.item()

    # check: step 0's loss and gradient (in micrograd's order: per neuron its weights,
    # then its bias), then a whole run
    restart()
    loss = loss_of()
    loss.backward()
    grads = torch.cat([torch.cat([l.weight.grad, l.bias.grad[:, None]], 1).reshape(-1) for l in layers])
    loss0 = load(d, "loss0.f64")[0].item()
    grad0 = load(d, "grad0.f64")
    gdiff = ((grads - grad0).abs() / torch.clamp(grad0.abs(), min=1e-3 * grad0.abs().max().item())).max().item()
    if abs(loss.item() - loss0) > 1e-12 * abs(loss0) or gdiff > 1e-10:
        sys.exit(f"torch_moons: step 0 differs from micrograd's: loss {loss.item()!r} vs {loss0!r}, gradient {gdiff:.3g}")
    restart()
    for k in range(STEPS):
        final = step(k)
    want = load(d, "final.f64")[0].item()
    if abs(final - want) > 1e-9 * abs(want):
        sys.exit(f"torch_moons: after {STEPS} steps loss {final!r}, micrograd {want!r}")

    times = []
    for _ in range(repeats):
        restart()
        for k in range(STEPS):
            t0 = time.perf_counter()
            step(k)
            times.append(time.perf_counter() - t0)
    us = float(np.median(times)) * 1e6
    print(f"W1 moons torch {torch.__version__}: step-0 gradient diff {gdiff:.2g}, final loss {final:.6f}; "
          f"{us:.1f} us/step (float64, 1 thread, median)")
    print(f"RESULT W1_torch_us {us:.6g}")


if __name__ == "__main__":
    main()
