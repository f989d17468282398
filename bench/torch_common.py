"""What the PyTorch baselines (torch_moons, torch_wide, torch_fashion, run by torch_bench.py)
share: thread settings for torch and for the OpenBLAS that torch calls, a description of
the configuration actually in force, the files bench/*.c wrote, and the checks against
micrograd's numbers."""
import ctypes
import gzip
import os
import sys

import numpy as np
import torch

# openblas_get_parallel(): how the loaded OpenBLAS was built
BLAS_KINDS = {0: "serial", 1: "pthread", 2: "openmp"}


def openblas():
    """The OpenBLAS torch calls, or None. torch links libblas.so.3, which Debian's OpenBLAS
    builds implement by linking libopenblas.so.0; that soname is then already loaded, so this
    opens the same instance (whichever directory LD_LIBRARY_PATH chose)."""
    for lib in ("libopenblas.so.0", "libblas.so.3"):
        try:
            handle = ctypes.CDLL(lib)
            handle.openblas_get_num_threads  # pylint: disable=pointless-statement
            return handle
        except (OSError, AttributeError):
            pass
    return None


def set_threads(torch_threads, blas_threads):
    """torch's own (OpenMP) threads, and OpenBLAS's, which torch does not control."""
    torch.set_num_threads(torch_threads)
    lib = openblas()
    if lib is not None:
        lib.openblas_set_num_threads(blas_threads)


def config():
    """The configuration in force: torch threads, BLAS kind and threads, OpenMP wait policy."""
    lib = openblas()
    if lib is None:
        kind, threads, name = "none", 1, "not OpenBLAS"
    else:
        kind = BLAS_KINDS.get(lib.openblas_get_parallel(), "unknown")
        threads = lib.openblas_get_num_threads()
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        version = lib.openblas_get_config().decode().split()[:2]  # "OpenBLAS 0.3.21 ..."
        name = f"{' '.join(version)} ({lib.openblas_get_corename().decode()} kernels)"
    return {"torch_threads": torch.get_num_threads(), "blas_kind": kind, "blas_threads": threads,
            "blas_config": name, "wait": os.environ.get("OMP_WAIT_POLICY", "default").lower(),
            "torch_version": torch.__version__}


def load(d, name, shape=None):
    """A float64 file bench/*.c wrote, as a tensor."""
    a = np.fromfile(os.path.join(d, name), dtype="<f8")
    return torch.from_numpy(a.reshape(shape) if shape else a)


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
    sys.exit(f"torch bench: {path} not found")


def flat_grads(layers):
    """The gradient in micrograd's order: per neuron its weights, then its bias."""
    return torch.cat([torch.cat([l.weight.grad, l.bias.grad[:, None]], 1).reshape(-1) for l in layers])


def check(what, loss, loss0, grads, grad0, dtype):
    """Loss and gradient against micrograd's float64 ones: to 1e-12 / 1e-10 in float64 (the
    same arithmetic, other summation orders), loosely in float32 (to catch a wrong result,
    not rounding). The gradient difference is relative, with a floor of 1e-3 of the largest
    entry for entries that are cancelling sums. Exits on a mismatch; returns the difference."""
    grads = grads.double()
    gdiff = ((grads - grad0).abs() / torch.clamp(grad0.abs(), min=1e-3 * grad0.abs().max().item())).max().item()
    ltol, gtol = (1e-12, 1e-10) if dtype == torch.float64 else (1e-4, 1e-2)
    if not (abs(loss - loss0) <= ltol * abs(loss0) and gdiff <= gtol):
        sys.exit(f"torch bench: {what} ({dtype}) differs from micrograd's: loss {loss!r} vs {loss0!r}, "
                 f"gradient {gdiff:.3g} (tolerances {ltol:g}, {gtol:g}); configuration {config()}")
    return gdiff


def median(xs):
    return float(np.median(xs))
