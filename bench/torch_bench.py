"""PyTorch in its best configuration on this machine, found in the same run.

For each workload (W1 1 thread; W2 1 and 2 threads; W3 2 threads) and each dtype (float64,
float32) it tries every candidate configuration within the workload's thread budget:
  - torch's intra-op threads t and OpenBLAS's threads b, with max(t, b) <= the budget;
  - the system's OpenBLAS (pthread on Debian) and, when libopenblas0-serial is installed,
    the serial one (LD_LIBRARY_PATH=/usr/lib/<multiarch>/openblas-serial; b = 1 only);
  - OMP_WAIT_POLICY unset (libgomp spins a while, then sleeps), passive or active. It
    only matters with t >= 2 (torch's OpenMP pool), so t = 1 is run with it unset.
Each candidate gets a short calibration run (a few steps of the workload), in a process of
its own per BLAS and wait policy (they are fixed at start-up; the threads are set in the
process, t = 1 first, with a pause between settings so idle workers stop spinning). The
likely winners go first, and a candidate that has taken CUT times as long as the best so
far with the same or fewer threads is stopped there (it cannot win): that bounds the search
when a configuration is pathological. The fastest candidate is then timed properly in a
fresh process. Every process first checks its results against micrograd's (the same
initial weights, data and order: step-0 or first-batch loss and gradients; float64 to
1e-12 / 1e-10, float32 loosely) under the very configuration it then times; a failed check
fails the run.

Prints RESULT lines (times), CONFIG lines (the winning configuration of each figure) and
INFO lines (versions) for bench/run.sh, and the calibration table for people.

Usage: /usr/bin/python3 torch_bench.py [--w1 DIR] [--w2 DIR] [--w3 DIR] [--fashion DATA]
           [--repeats N] [--steps N] [--epochs N] [--quick]
  --w1/--w2/--w3 DIR   the --dump directories of bench/moons, bench/wide, bench/fashion
  --fashion DATA       the Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist)
  --repeats N          W1: timed 100-step runs (default 5)
  --steps N            W2: timed steps (default 30)
  --epochs N           W3: timed epochs per dtype (default 3)
  --quick              shorter calibration runs"""
import argparse
import json
import os
import subprocess
import sys
import sysconfig
import time

DTYPES = ("float64", "float32")
TAG = {"float64": "f64", "float32": "f32"}
# workload -> thread budgets it is timed with
BUDGETS = {"W1": (1,), "W2": (1, 2), "W3": (2,)}
# calibration length per workload: W1 100-step runs, W2 steps, W3 steps (default, --quick)
CALIBRATION = {"W1": (2, 1), "W2": (20, 10), "W3": (100, 40)}
WAITS = ("default", "passive", "active")
CUT = 2.5
# environment variables that would change the candidates behind our back
CLEAR = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
         "GOTO_NUM_THREADS", "OMP_PROC_BIND", "OMP_PLACES", "OMP_DYNAMIC", "OPENBLAS_THREAD_TIMEOUT")


def libdir():
    return os.path.join("/usr/lib", sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu")


def blas_variants():
    """[(name, LD_LIBRARY_PATH dir or None, kind)]: the system BLAS, and the serial OpenBLAS
    when it is installed and not the system one already."""
    real = os.path.realpath(os.path.join(libdir(), "libblas.so.3"))
    system = next((k for k in ("pthread", "openmp", "serial") if f"openblas-{k}" in real), "other")
    out = [("system", None, system)]
    serial = os.path.join(libdir(), "openblas-serial")
    if system != "serial" and os.path.exists(os.path.join(serial, "libblas.so.3")):
        out.append(("serial", serial, "serial"))
    return out


def candidates():
    """[((blas name, wait), [(t, b), ...])] for budgets up to 2 threads, t = 1 first; the
    default wait policy (with the t = 1 candidates) first, then passive, then active."""
    out = []
    for wait in WAITS:
        for name, _, kind in blas_variants():
            bs = (1, 2) if kind in ("pthread", "openmp") else (1,)
            ts = (1, 2) if wait == "default" else (2,)
            out.append(((name, wait), [(t, b) for t in ts for b in bs]))
    return out


def units(w, n):
    """Steps a calibration of length n runs, warm-up included."""
    return {"W1": (1 + n) * 100, "W2": 3 + n, "W3": 10 + n}[w]


def label(kind, wait, t, b):
    blas = "OpenBLAS serial" if kind == "serial" else (
        f"OpenBLAS {kind} {b}" if kind in ("pthread", "openmp") else f"{kind} BLAS")
    s = f"torch {t} thread{'s' if t > 1 else ''} + {blas}"
    return s + (f", wait {wait}" if t > 1 or (kind == "openmp" and b > 1) else "")


def env_for(blas, wait):
    env = {k: v for k, v in os.environ.items() if k not in CLEAR}
    dirs = [p for p in env.get("LD_LIBRARY_PATH", "").split(":") if p and "openblas" not in p]
    path = dict((n, d) for n, d, _ in blas_variants())[blas]
    if path:
        dirs.insert(0, path)
    if dirs:
        env["LD_LIBRARY_PATH"] = ":".join(dirs)
    else:
        env.pop("LD_LIBRARY_PATH", None)
    if wait != "default":
        env["OMP_WAIT_POLICY"] = wait.upper()
    return env


def spawn(args, blas, wait, jobs, best=None):
    """Runs the jobs in a child process with that BLAS and wait policy; {job id: output}.
    best: {(workload, dtype, threads): the best calibration so far}, for the cut."""
    payload = {"jobs": jobs, "best": [list(k) + [v] for k, v in (best or {}).items()]}
    cmd = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(payload)] + args
    try:
        p = subprocess.run(cmd, env=env_for(blas, wait), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        print(f"torch bench: {blas} BLAS, wait {wait}: timed out", file=sys.stderr)
        return {}, False
    out = {}
    for line in p.stdout.splitlines():
        if line.startswith("JOB "):
            j = json.loads(line[4:])
            out[j["id"]] = j
        else:
            print(line, flush=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        print(f"torch bench: {blas} BLAS, wait {wait}: FAILED (exit {p.returncode})", file=sys.stderr)
    return out, p.returncode == 0


def workload_args(a):
    out = []
    for k in ("w1", "w2", "w3", "fashion"):
        v = getattr(a, k)
        if v:
            out += [f"--{k}", v]
    return out


def parent(a):
    present = [w for w, d in (("W1", a.w1), ("W2", a.w2), ("W3", a.w3)) if d]
    kinds = {n: k for n, _, k in blas_variants()}
    args = workload_args(a)
    ok = True

    # ---- calibration: every candidate, each workload and dtype it is allowed for ----
    cal, cut, best, blases = {}, set(), {}, {}
    start = time.perf_counter()
    for (blas, wait), combos in candidates():
        jobs = []
        for t, b in combos:
            for w in present:
                if max(t, b) > max(BUDGETS[w]):
                    continue
                for dt in DTYPES:
                    n = CALIBRATION[w][1 if a.quick else 0]
                    jobs.append({"id": len(jobs), "w": w, "dtype": dt, "t": t, "b": b, "kind": kinds[blas],
                                 "mode": "cal", "n": n})
        out, good = spawn(args + (["--quick"] if a.quick else []), blas, wait, jobs, best)
        ok &= good
        for j in jobs:
            if j["id"] not in out:
                continue
            r, key = out[j["id"]], (j["w"], j["dtype"], blas, wait, j["t"], j["b"])
            blases[kinds[blas]] = r["blas"]
            if r["value"] is None:
                cut.add(key)
                continue
            cal[key] = r["value"]
            for level in range(max(j["t"], j["b"]), 3):
                k = (j["w"], j["dtype"], level)
                best[k] = min(best.get(k, r["value"]), r["value"])
    print(f"torch bench: {len(cal)} candidate runs calibrated, {len(cut)} stopped at {CUT}x the best, "
          f"in {time.perf_counter() - start:.0f} s")

    # ---- the table of candidates, and the winners ----
    cols = [(w, dt) for w in present for dt in DTYPES]
    unit = {"W1": (1e6, "us"), "W2": (1e3, "ms"), "W3": (1e3, "ms")}
    rows = sorted({(blas, wait, t, b) for (_, _, blas, wait, t, b) in list(cal) + list(cut)},
                  key=lambda r: (r[2], r[3], r[0] != "system", WAITS.index(r[1])))
    print("PyTorch candidates, calibration time per step (W1 median of 100-step runs, W2 median, W3 mean):")
    print("  " + f"{'configuration':<48}" + "".join(f"{w + ' ' + TAG[dt] + ' ' + unit[w][1]:>13}" for w, dt in cols))
    for blas, wait, t, b in rows:
        cells = []
        for w, dt in cols:
            v = cal.get((w, dt, blas, wait, t, b))
            cells.append(f"{v * unit[w][0]:13.3f}" if v is not None else
                         f"{'stopped' if (w, dt, blas, wait, t, b) in cut else '-':>13}")
        print("  " + f"{label(kinds[blas], wait, t, b):<48}" + "".join(cells))
    winners = {}
    for w in present:
        for budget in BUDGETS[w]:
            for dt in DTYPES:
                cands = [(v, blas, wait, t, b) for (ww, d, blas, wait, t, b), v in cal.items()
                         if ww == w and d == dt and max(t, b) <= budget]
                if not cands:
                    continue
                cands.sort()
                v, blas, wait, t, b = cands[0]
                key = f"{w}_torch_{TAG[dt]}" + (f"_{budget}t" if w == "W2" else "")
                winners[key] = (w, dt, budget, blas, wait, t, b)
                runner = (f"; next {label(kinds[cands[1][1]], *cands[1][2:])} +{100 * (cands[1][0] / v - 1):.0f}%"
                          if len(cands) > 1 else "")
                print(f"  {key}: {label(kinds[blas], wait, t, b)}{runner}")

    # ---- time the winners, a fresh process per BLAS and wait policy ----
    groups, version = {}, None
    for key, (w, dt, budget, blas, wait, t, b) in winners.items():
        n = {"W1": a.repeats, "W2": a.steps, "W3": a.epochs}[w]
        groups.setdefault((blas, wait), []).append(
            {"w": w, "dtype": dt, "t": t, "b": b, "kind": kinds[blas], "mode": "time", "n": n,
             "budget": budget, "key": key})
    for (blas, wait), jobs in groups.items():
        jobs.sort(key=lambda j: (j["t"], j["b"]))  # t = 1 first: no torch pool spinning yet
        for i, j in enumerate(jobs):
            j["id"] = i
        out, good = spawn(args, blas, wait, jobs)
        ok &= good
        for j in jobs:
            if j["id"] not in out:
                continue
            for k, v in out[j["id"]]["results"].items():
                print(f"RESULT {k} {v:.6g}")
            print(f"CONFIG {j['key']} {label(j['kind'], wait, j['t'], j['b'])}")
            version = out[j["id"]]["torch"]
    # the versions for the table's header: torch, and each OpenBLAS tried
    if version:
        print(f"INFO torch {version}")
    names = sorted(set(blases.values()))
    if names:
        tried = " and ".join(k for k in blases if k != "other")
        print(f"INFO blas {', '.join(names)}{'; ' + tried + ' tried' if tried else ''}")
    if "serial" not in kinds.values():
        print("INFO note libopenblas0-serial is not installed: the serial-BLAS candidates were not tried")
    return 0 if ok else 1


def child(a):
    import torch  # pylint: disable=import-outside-toplevel
    from torch_common import config, set_threads  # pylint: disable=import-outside-toplevel

    payload = json.loads(a.child)
    jobs = payload["jobs"]
    best = {(w, dt, level): v for w, dt, level, v in payload["best"]}
    loaded = {}

    def workload(w, full):
        if (w, full) not in loaded:
            if w == "W1":
                from torch_moons import Moons  # pylint: disable=import-outside-toplevel
                loaded[(w, full)] = Moons(a.w1)
            elif w == "W2":
                from torch_wide import Wide  # pylint: disable=import-outside-toplevel
                loaded[(w, full)] = Wide(a.w2)
            else:
                from torch_fashion import Fashion  # pylint: disable=import-outside-toplevel
                cal = CALIBRATION["W3"][1 if a.quick else 0] + 10
                loaded[(w, full)] = Fashion(a.w3, a.fashion, full, cal_batches=cal)
        return loaded[(w, full)]

    last = None
    for j in jobs:
        if (j["t"], j["b"]) != last:
            set_threads(j["t"], j["b"])
            if last is not None:
                time.sleep(0.25)  # idle OpenBLAS and OpenMP workers stop spinning
            last = (j["t"], j["b"])
            cfg = config()
            want_b = 1 if j["kind"] not in ("pthread", "openmp") else j["b"]
            if (cfg["torch_threads"], cfg["blas_kind"], cfg["blas_threads"]) != (j["t"], j["kind"], want_b) \
                    and not (j["kind"] == "other" and cfg["torch_threads"] == j["t"]):
                sys.exit(f"torch bench: asked for torch {j['t']}, {j['kind']} BLAS {want_b}, got {cfg}")
        dt = getattr(torch, j["dtype"])
        wl = workload(j["w"], j["mode"] == "time")
        gdiff = wl.check(dt)  # exits on a mismatch
        if j["mode"] == "time":
            print(f"{j['w']} torch {TAG[j['dtype']]}: {label(j['kind'], cfg['wait'], j['t'], j['b'])}; "
                  f"first step against micrograd's: gradient {gdiff:.2g}", flush=True)
        out = {"id": j["id"], "check": gdiff, "torch": cfg["torch_version"], "blas": cfg["blas_config"]}
        if j["mode"] == "cal":
            level = max(j["t"], j["b"])
            ref = best.get((j["w"], j["dtype"], level))
            deadline = None if ref is None else time.perf_counter() + CUT * ref * units(j["w"], j["n"]) + 0.1
            v = out["value"] = wl.calibrate(dt, j["n"], deadline)
            if v is not None:
                for lv in range(level, 3):
                    best[(j["w"], j["dtype"], lv)] = min(best.get((j["w"], j["dtype"], lv), v), v)
        elif j["w"] == "W1":
            out["results"] = wl.measure(dt, j["n"])
        else:
            out["results"] = wl.measure(dt, j["n"], j["budget"])
        print("JOB " + json.dumps(out), flush=True)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--w1")
    p.add_argument("--w2")
    p.add_argument("--w3")
    p.add_argument("--fashion", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args()
    if min(a.repeats, a.steps, a.epochs) < 1:
        p.error("--repeats, --steps and --epochs must be at least 1")
    sys.exit(child(a) if a.child else parent(a))


if __name__ == "__main__":
    main()
