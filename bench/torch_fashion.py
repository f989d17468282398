"""W3 in PyTorch: Fashion-MNIST, MLP(784, [256, 128, 10]) ReLU, cross-entropy, mini-batches
of 64 in the batch order bench/fashion wrote to its --dump directory (the same shuffles),
AdamW with PyTorch's defaults: time per epoch and test accuracy after each. The images are
read from the same IDX files (pixels / 255). Checked before anything is timed: the first
batch's loss and gradients (float64 to 1e-12 / 1e-10, float32 loosely). Run by
torch_bench.py, which picks the threads and the BLAS."""
import time

import numpy as np
import torch

from torch_common import check, flat_grads, idx, load, median

SIZES, B = [784, 256, 128, 10], 64


class Fashion:
    name = "W3"

    def __init__(self, d, data, full, cal_batches=0):
        """full: the whole training and test sets (for timed epochs); otherwise the first
        batch and the rows of the first epoch's first cal_batches batches (calibration)."""
        x = idx(f"{data}/train-images-idx3-ubyte").reshape(-1, 784)
        y = idx(f"{data}/train-labels-idx1-ubyte").astype(np.int64)
        self.n = x.shape[0]
        order = load(d, "order.f64").long()
        self.epochs = order.numel() // self.n
        self.order = order[:self.epochs * self.n].reshape(self.epochs, self.n)
        self.first = (torch.from_numpy(x[:B] / 255.0), torch.from_numpy(y[:B]))
        if full:
            self.xtr, self.ytr = torch.from_numpy(x / 255.0), torch.from_numpy(y)
            self.xte = torch.from_numpy(idx(f"{data}/t10k-images-idx3-ubyte").reshape(-1, 784) / 255.0)
            self.yte = torch.from_numpy(idx(f"{data}/t10k-labels-idx1-ubyte").astype(np.int64))
        else:  # the calibration's batches, gathered from a smaller table as from the whole
            rows = self.order[0, :cal_batches * B].numpy()
            self.xtr, self.ytr = torch.from_numpy(x[rows] / 255.0), torch.from_numpy(y[rows])
            self.cal_order = torch.arange(rows.size)
        self.init = [(load(d, f"w{l}.f64", (SIZES[l + 1], SIZES[l])), load(d, f"b{l}.f64")) for l in range(3)]
        self.loss0 = load(d, "loss0.f64")[0].item()
        self.grad0 = load(d, "grad0.f64")
        self.cast = {}

    def data(self, dtype):
        if dtype not in self.cast:
            self.cast = {dtype: (self.xtr.to(dtype), getattr(self, "xte", self.xtr[:0]).to(dtype))}
        return self.cast[dtype]

    def model(self, dtype):
        """A fresh model at the initial weights, its AdamW (PyTorch's defaults), the logits."""
        layers = []
        for l in range(3):
            layer = torch.nn.Linear(SIZES[l], SIZES[l + 1]).to(dtype)
            with torch.no_grad():
                layer.weight.copy_(self.init[l][0])
                layer.bias.copy_(self.init[l][1])
            layers.append(layer)
        opt = torch.optim.AdamW([p for l in layers for p in l.parameters()])

        def logits(x):
            h = torch.relu(layers[0](x))
            h = torch.relu(layers[1](h))
            return layers[2](h)

        return layers, opt, logits

    def check(self, dtype):
        """The first batch in file order."""
        layers, _, logits = self.model(dtype)
        x, y = self.first
        loss = torch.nn.functional.cross_entropy(logits(x.to(dtype)), y)
        loss.backward()
        return check("W3 first batch", loss.item(), self.loss0, flat_grads(layers), self.grad0, dtype)

    def calibrate(self, dtype, steps, deadline=None):
        """Mean seconds per step (an epoch is their sum) over `steps` steps of the first
        epoch's batches, taken after 10 unmeasured ones in the same run; None when cut short
        by the deadline."""
        order = self.cal_order if hasattr(self, "cal_order") else self.order[0]
        if order.numel() < (10 + steps) * B:
            raise SystemExit(f"torch bench: W3 calibration needs {10 + steps} batches, has {order.numel() // B}")
        batches = [order[s * B:(s + 1) * B] for s in range(10 + steps)]
        _, opt, logits = self.model(dtype)
        xtr, _ = self.data(dtype)
        start = time.perf_counter()
        for k, sel in enumerate(batches):
            if k == 10:
                start = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(logits(xtr[sel]), self.ytr[sel])
            loss.backward()
            opt.step()
            if deadline is not None and time.perf_counter() > deadline:
                return None
        return (time.perf_counter() - start) / steps

    def measure(self, dtype, epochs, threads):
        """The timing: `epochs` epochs from the initial weights, test accuracy after each."""
        if epochs > self.epochs:
            raise SystemExit(f"torch bench: the batch order has fewer than {epochs} epochs")
        tag = "f64" if dtype == torch.float64 else "f32"
        layers, opt, logits = self.model(dtype)
        xtr, xte = self.data(dtype)
        times, best, elapsed, reached = [], 0.0, 0.0, -1.0
        for e in range(epochs):
            order = self.order[e]
            t0 = time.perf_counter()
            for s0 in range(0, self.n, B):
                sel = order[s0:s0 + B]
                opt.zero_grad(set_to_none=True)
                loss = torch.nn.functional.cross_entropy(logits(xtr[sel]), self.ytr[sel])
                loss.backward()
                opt.step()
            times.append(time.perf_counter() - t0)
            elapsed += times[-1]
            with torch.no_grad():
                acc = (logits(xte).argmax(1) == self.yte).double().mean().item()
            best = max(best, acc)
            if reached < 0 and acc >= 0.883:
                reached = elapsed
            print(f"W3 fashion torch {tag}, {threads} threads: epoch {e + 1:2d}: {times[-1]:.2f} s, "
                  f"test accuracy {100 * acc:.2f}%", flush=True)
        del layers
        return {f"W3_torch_{tag}_epoch_s": median(times), f"W3_torch_{tag}_best_acc": best,
                f"W3_torch_{tag}_s_to_883": reached}
