"""W2 in PyTorch: MLP(64, [64, 64, 10]) ReLU, softmax cross-entropy over 1,797 samples, one
full-batch SGD step (lr 0.1), on the data and initial weights bench/wide wrote to its --dump
directory. Checked before anything is timed: the step-0 loss and gradients (float64 to
1e-12 / 1e-10, float32 loosely). Run by torch_bench.py, which picks the threads and the
BLAS."""
import time

import torch

from torch_common import check, flat_grads, load, median

N, NIN, K = 1797, 64, 10
SIZES = [NIN, 64, 64, K]


class Wide:
    name = "W2"

    def __init__(self, d):
        self.x = load(d, "x.f64", (N, NIN))
        self.y = load(d, "y.f64").long()
        self.init = [(load(d, f"w{l}.f64", (SIZES[l + 1], SIZES[l])), load(d, f"b{l}.f64")) for l in range(3)]
        self.loss0 = load(d, "loss0.f64")[0].item()
        self.grad0 = load(d, "grad0.f64")

    def model(self, dtype):
        """A fresh model at the initial weights, its SGD, and one full-batch step."""
        layers = []
        for l in range(3):
            layer = torch.nn.Linear(SIZES[l], SIZES[l + 1]).to(dtype)
            with torch.no_grad():
                layer.weight.copy_(self.init[l][0])
                layer.bias.copy_(self.init[l][1])
            layers.append(layer)
        opt = torch.optim.SGD([p for l in layers for p in l.parameters()], lr=0.1)
        x, y = self.x.to(dtype), self.y

        def loss_of():
            h = torch.relu(layers[0](x))
            h = torch.relu(layers[1](h))
            return torch.nn.functional.cross_entropy(layers[2](h), y)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_of()
            loss.backward()
            opt.step()
            return loss

        return layers, loss_of, step

    def check(self, dtype):
        layers, loss_of, _ = self.model(dtype)
        loss = loss_of()
        loss.backward()
        return check("W2 step 0", loss.item(), self.loss0, flat_grads(layers), self.grad0, dtype)

    def _times(self, dtype, steps, warm=0, deadline=None):
        """Seconds of each of warm + steps steps from the initial weights (fewer after the
        deadline, a time.perf_counter() value), without the first warm; the last loss."""
        _, _, step = self.model(dtype)
        times = []
        for k in range(warm + steps):
            t0 = time.perf_counter()
            loss = step()
            times.append(time.perf_counter() - t0)
            if deadline is not None and t0 > deadline:
                break
        return times[warm:], loss.item()

    def calibrate(self, dtype, steps, deadline=None):
        """Median seconds per step over `steps` steps after 3 unmeasured ones; None when cut
        short by the deadline."""
        times = self._times(dtype, steps, warm=3, deadline=deadline)[0]
        return median(times) if len(times) == steps else None

    def measure(self, dtype, steps, threads):
        """The timing: `steps` full-batch SGD steps from the initial weights, median."""
        times, loss = self._times(dtype, steps)
        ms = median(times) * 1e3
        tag = "f64" if dtype == torch.float64 else "f32"
        print(f"W2 wide torch {tag}, {threads} thread(s): {ms:.3f} ms/step (median of {steps}), "
              f"loss after {steps} steps {loss:.6f}")
        return {f"W2_torch_{tag}_{threads}t_ms": ms}
