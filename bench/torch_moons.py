"""W1 in PyTorch: micrograd's moons demo step (MLP(2, [16, 16, 1]) ReLU, mean hinge loss +
1e-4 L2, SGD with lr 1 - 0.9 k/100), on the data and initial weights bench/moons wrote to
its --dump directory. Checked before anything is timed: the step-0 loss and gradients, in
float64 to 1e-12 / 1e-10 with the loss after 100 steps, in float32 loosely. Run by
torch_bench.py, which picks the threads and the BLAS."""
import sys
import time

import torch

from torch_common import check, flat_grads, load, median

N, STEPS, ALPHA = 100, 100, 1e-4
SIZES = [2, 16, 16, 1]


class Moons:
    name = "W1"

    def __init__(self, d):
        self.d = d
        self.x = load(d, "x.f64", (N, 2))
        self.y = load(d, "y.f64", (N, 1))
        self.init = [(load(d, f"w{l}.f64", (SIZES[l + 1], SIZES[l])), load(d, f"b{l}.f64")) for l in range(3)]
        self.loss0 = load(d, "loss0.f64")[0].item()
        self.grad0 = load(d, "grad0.f64")
        self.final = load(d, "final.f64")[0].item()

    def model(self, dtype):
        """A fresh model at the initial weights, its SGD, and one training step k."""
        layers = [torch.nn.Linear(SIZES[l], SIZES[l + 1]).to(dtype) for l in range(3)]
        with torch.no_grad():
            for layer, (w, b) in zip(layers, self.init):
                layer.weight.copy_(w)
                layer.bias.copy_(b)
        params = [p for layer in layers for p in (layer.weight, layer.bias)]
        opt = torch.optim.SGD(params, lr=1.0)
        x, y = self.x.to(dtype), self.y.to(dtype)

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

        return layers, loss_of, step

    def check(self, dtype):
        layers, loss_of, step = self.model(dtype)
        loss = loss_of()
        loss.backward()
        gdiff = check("W1 step 0", loss.item(), self.loss0, flat_grads(layers), self.grad0, dtype)
        if dtype == torch.float64:  # and a whole run (in float32 it may part ways at a kink)
            _, _, step = self.model(dtype)
            for k in range(STEPS):
                final = step(k)
            if abs(final - self.final) > 1e-9 * abs(self.final):
                sys.exit(f"torch bench: W1 after {STEPS} steps loss {final!r}, micrograd {self.final!r}")
        return gdiff

    def _times(self, dtype, runs, deadline=None):
        """Seconds per step of `runs` 100-step runs from the same start (fewer after the
        deadline, a time.perf_counter() value)."""
        times = []
        for _ in range(runs):
            _, _, step = self.model(dtype)
            for k in range(STEPS):
                t0 = time.perf_counter()
                step(k)
                times.append(time.perf_counter() - t0)
                if deadline is not None and t0 > deadline:
                    return times
        return times

    def calibrate(self, dtype, runs, deadline=None):
        """Median seconds per step over `runs` 100-step runs after one unmeasured run; None
        when cut short by the deadline."""
        times = self._times(dtype, 1 + runs, deadline)
        return median(times[STEPS:]) if len(times) == (1 + runs) * STEPS else None

    def measure(self, dtype, runs):
        """The timing: median over `runs` whole 100-step runs from the same start, per step."""
        us = median(self._times(dtype, runs)) * 1e6
        tag = "f64" if dtype == torch.float64 else "f32"
        print(f"W1 moons torch {tag}: {us:.1f} us/step (median of {runs} x {STEPS} steps)")
        return {f"W1_torch_{tag}_us": us}
