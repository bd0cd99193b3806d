"""``chaingrad bench``: chaingrad against PyTorch and hand-written NumPy on the workloads listed in BENCHMARKS.md.

Each library runs in its own worker process (``benchmarks.worker``). After a warm-up, the workers are
timed in alternating blocks (chaingrad, torch, numpy, then rotated), with a pause before every block of
BLAS-heavy work so that the previous library's BLAS threads stop spinning; each figure is the median of
the blocks. Fresh-process rows (the seed program, ``import``) alternate runs of the two commands.
The table is printed and written, with the machine, to BENCHMARKS.md. Ratios are only ever taken
between figures of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBS = ("chaingrad", "torch", "numpy")
# BLAS-bound: pause before each block
HEAVY = {"mlp", "lenet", "mlp_compiled", "lenet_compiled", "mlp_first_call", "mlp_inductor", "mlp_numba"}
PAUSE_S = 0.3
# This machine pins OpenBLAS to a Haswell kernel with a tiny L2 size; the benchmark's own processes
# let OpenBLAS pick its kernel for the CPU (reported in BENCHMARKS.md).
BLAS_ENV_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
# glibc hands the top of the heap back to the OS after each step, and on this VM faulting those pages back
# in costs ~1.5 us per 4 KiB, which made conv-heavy timings depend on which workload ran first. Every
# library's worker keeps 64 MiB of heap instead (the same setting for all three). Setting the pad turns off
# glibc's sliding mmap threshold, which would leave every array over 128 KiB that does not fit in the free
# heap to a fresh mmap, faulted in page by page on each call; so the threshold is fixed at glibc's largest
# (32 MiB), where the sliding one would have ended.
MALLOC_ENV = {"MALLOC_TOP_PAD_": str(64 * 1024 * 1024), "MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024)}
# torch.compile's peer rows: inductor compiles in the worker itself, not in a pool of compile processes that
# would stay alive and share the cores with every row timed after them
INDUCTOR_ENV = {"TORCHINDUCTOR_COMPILE_THREADS": "1"}


@dataclass
class Row:
    name: str
    target: str
    times: dict = field(default_factory=dict)  # lib -> seconds (or MiB for memory rows)
    unit: str = "s"
    check: tuple = ()  # (numerator lib, denominator lib, limit) ...
    note: str = ""

    def ratio(self, a: str, b: str) -> float | None:
        if self.times.get(a) and self.times.get(b):
            return self.times[a] / self.times[b]
        return None

    def met(self) -> bool | None:
        results = []
        for a, b, limit in self.check:
            r = self.times.get(a) if b is None else self.ratio(a, b)  # b None: an absolute time in seconds
            if r is None:
                return None
            results.append(r <= limit)
        return all(results) if results else None


def numba_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("numba") is not None


def bench_env(keep_blas_env: bool) -> dict:
    env = dict(os.environ)
    if not keep_blas_env:
        for name in BLAS_ENV_OVERRIDES:
            env.pop(name, None)
    env.update(MALLOC_ENV)
    env.update(INDUCTOR_ENV)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env.setdefault("MPLBACKEND", "Agg")
    return env


class Worker:
    def __init__(self, lib: str, env: dict) -> None:
        self.lib = lib
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.worker", "--lib", lib], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def ask(self, **msg) -> dict:
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.lib} worker stopped (see its error above)")
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def time_workload(workers: dict, name: str, blocks: int, block_s: float) -> dict:
    """Median seconds per unit of ``name`` for each library, from alternating timed blocks."""
    sizes = {}
    for lib, w in workers.items():
        if name in HEAVY:
            time.sleep(PAUSE_S)
        reply = w.ask(cmd="build", workload=name, warmup=block_s)
        if reply["available"]:
            sizes[lib] = max(1, round(block_s / max(reply["seconds"], 1e-9)))
    samples: dict = {lib: [] for lib in sizes}
    order = list(sizes)
    for i in range(blocks):
        for lib in order[i % len(order):] + order[:i % len(order)]:  # rotate who goes first
            if name in HEAVY:
                time.sleep(PAUSE_S)
            samples[lib].append(workers[lib].ask(cmd="block", workload=name, n=sizes[lib])["seconds"])
    for w in workers.values():  # a row's models and buffers must not crowd the heap of the rows after it
        w.ask(cmd="drop", workload=name)
    return {lib: statistics.median(s) for lib, s in samples.items()}


def time_commands(commands: dict, runs: int, env: dict, cwd: str) -> dict:
    """Median wall time of fresh processes, the commands alternating."""
    samples: dict = {k: [] for k in commands}
    for i in range(runs):
        keys = list(commands)
        for key in keys[i % 2:] + keys[:i % 2]:
            start = time.perf_counter()
            subprocess.run(commands[key], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
            samples[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in samples.items()}


def peak_rss(workload: str, steps: int, env: dict) -> dict:
    out = {}
    for lib in LIBS:
        time.sleep(PAUSE_S)
        res = subprocess.run([sys.executable, "-m", "benchmarks.worker", "--lib", lib, "--rss", workload, str(steps)],
                             cwd=ROOT, env=env, check=True, capture_output=True, text=True)
        reply = json.loads(res.stdout.strip().splitlines()[-1])
        if reply["available"]:
            out[lib] = reply["peak_mib"]
    return out


def precompile() -> None:
    """Write chaingrad's bytecode, as pip does when it installs a package. This environment sets
    PYTHONDONTWRITEBYTECODE, under which an editable checkout is compiled afresh by every new process,
    which would time the compiler rather than ``import chaingrad``."""
    import compileall

    compileall.compile_dir(str(ROOT / "src" / "chaingrad"), quiet=1)


def seed_program_commands() -> tuple[dict, str]:
    """The seed program under chaingrad, and the same file with ``import torch`` (in a temp folder)."""
    src = (ROOT / "examples" / "seed_linear_regression.py").read_text(encoding="utf-8")
    tmp = tempfile.mkdtemp(prefix="chaingrad-bench-")
    torch_src = src.replace("import chaingrad as torch", "import torch")
    Path(tmp, "seed_chaingrad.py").write_text(src, encoding="utf-8")
    Path(tmp, "seed_torch.py").write_text(torch_src, encoding="utf-8")
    return {"chaingrad": [sys.executable, "seed_chaingrad.py"], "torch": [sys.executable, "seed_torch.py"]}, tmp


def machine(info: dict, keep_blas_env: bool) -> list[str]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = [p for p in info["threadpools"] if p.get("user_api") == "blas"]
    blas_text = ", ".join(f"{p.get('internal_api')} {p.get('version')} kernel {p.get('architecture')} "
                          f"({p.get('num_threads')} threads)" for p in blas) or "unknown"
    import numpy

    env_note = ("as set in the environment" if keep_blas_env else
                f"{', '.join(BLAS_ENV_OVERRIDES)} unset in the benchmark processes")
    env_note += "; MALLOC_TOP_PAD_=64 MiB and MALLOC_MMAP_THRESHOLD_=32 MiB in every worker"
    return [f"CPU: {cpu}, {os.cpu_count()} logical cores",
            f"NumPy {numpy.__version__}, BLAS: {blas_text}; {env_note}",
            f"PyTorch {info.get('torch', '?')} with torch.set_num_threads({info.get('torch_threads', '?')}) "
            f"(= NumPy's BLAS threads); Python {platform.python_version()}"]


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    for scale, name in ((1, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if value >= scale:
            return f"{value / scale:.3g} {name}"
    return f"{value * 1e9:.3g} ns"


def fmt_ratio(r: float | None) -> str:
    return "n/a" if r is None else f"{r:.2f}"


def table(rows: list[Row]) -> list[str]:
    head = ["workload", "chaingrad", "PyTorch", "NumPy", "cg / torch", "cg / NumPy", "target", "met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        met = r.met()
        lines.append("| " + " | ".join([
            r.name, fmt(r.times.get("chaingrad"), r.unit), fmt(r.times.get("torch"), r.unit),
            fmt(r.times.get("numpy"), r.unit), fmt_ratio(r.ratio("chaingrad", "torch")),
            fmt_ratio(r.ratio("chaingrad", "numpy")), r.target,
            "n/a" if met is None else ("yes" if met else "**no**")]) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chaingrad bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run: fewer, shorter blocks")
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"), help="markdown file to write ('' for none)")
    parser.add_argument("--only", default="", help="comma-separated rows: " + ",".join(ALL_ROWS))
    parser.add_argument("--keep-blas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE as set in the environment")
    args = parser.parse_args(argv)
    only = [s for s in args.only.split(",") if s] or list(ALL_ROWS)
    blocks, block_s, runs, rss_steps = (3, 0.05, 2, 20) if args.quick else (7, 0.25, 5, 200)
    env = bench_env(args.keep_blas_env)
    started = time.perf_counter()

    workers = {lib: Worker(lib, env) for lib in LIBS}
    # the numba rows get workers of their own: numba's compiler leaves about 130,000 objects alive, and
    # Python's garbage collector, scanning them, slows every later row with many small objects (the 20,000-op
    # chain: 1.7x) in the process that compiled
    numba_workers: dict = {}
    results: dict = {}
    try:
        info = workers["torch"].ask(cmd="info")
        for key in only:
            if key not in IN_PROCESS:
                continue
            label, target, check = IN_PROCESS[key]
            if key in NUMBA_ROWS and not numba_available():
                label += " (numba is not installed: pip install 'chaingrad[numba]')"
            if key in NUMBA_ROWS and not numba_workers:
                numba_workers.update({lib: Worker(lib, env) for lib in LIBS})
            print(f"timing {label} ...", file=sys.stderr, flush=True)
            row_workers = numba_workers if key in NUMBA_ROWS else workers
            results[key] = Row(label, target, time_workload(row_workers, key, blocks, block_s), check=check)
    finally:
        for w in (*workers.values(), *numba_workers.values()):
            w.close()

    if "rss" in only:
        print("measuring peak memory ...", file=sys.stderr, flush=True)
        results["rss"] = Row(f"peak RSS, {rss_steps} MLP steps (own process)", "<= 1.3x NumPy",
                             peak_rss("mlp", rss_steps, env), unit="MiB", check=(("chaingrad", "numpy", 1.3),))
    if "seed_program" in only or "import" in only:
        precompile()
    if "seed_program" in only:
        print("timing the seed program ...", file=sys.stderr, flush=True)
        commands, tmp = seed_program_commands()
        results["seed_program"] = Row("seed program end to end (fresh process)", "<= 0.35",
                                      time_commands(commands, runs, env, tmp), check=(("chaingrad", "torch", 0.35),))
    if "import" in only:
        print("timing imports ...", file=sys.stderr, flush=True)
        commands = {"chaingrad": [sys.executable, "-c", "import chaingrad"],
                    "numpy": [sys.executable, "-c", "import numpy"]}
        results["import"] = Row("`import chaingrad` vs `import numpy`", "<= 1.6x NumPy",
                                time_commands(commands, runs * 2, env, str(ROOT)), check=(("chaingrad", "numpy", 1.6),))

    lines = table([results[k] for k in ALL_ROWS if k in results])
    about = machine(info, args.keep_blas_env)
    elapsed = time.perf_counter() - started
    print("\n".join(about + [""] + lines))
    print(f"\n({'quick run, ' if args.quick else ''}{elapsed:.0f} s)")
    if args.out:
        Path(args.out).write_text("\n".join([
            "# Benchmarks", "",
            "Written by `chaingrad bench` (`make bench`); see benchmarks/run.py for the method. Times are medians "
            "of alternating blocks after warm-up (per epoch for the seed rows, per step otherwise); ratios are "
            "chaingrad's time over PyTorch's (or NumPy's) in the same run. The NumPy column is hand-written NumPy "
            "doing the same arithmetic: the floor for a NumPy-based engine (for the random-number rows, NumPy's "
            "own MT19937 generator making the same kind of draw with NumPy's algorithms: a reference point, not "
            "torch's numbers).", "",
            *[f"- {m}" for m in about],
            f"- {'quick smoke run' if args.quick else 'full run'}, {elapsed:.0f} s; fresh-process rows run with "
            "chaingrad's bytecode compiled first (as pip does on install)", "",
            *lines, ""]), encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


IN_PROCESS = {
    "seed": ("seed regression, 100 epochs with loss.backward(), per epoch", "<= 0.30",
             (("chaingrad", "torch", 0.30),)),
    "seed_hand": ("seed regression, hand-derived gradients, per epoch", "<= 0.60", (("chaingrad", "torch", 0.60),)),
    "small": ("small graph ((a*c + a).tanh() ** 2 - c).exp().sum(), fwd+bwd", "<= 0.35",
              (("chaingrad", "torch", 0.35),)),
    "mlp": ("MLP 784-512-512-10 step, batch 256, float32", "<= 0.90, <= 1.15x NumPy",
            (("chaingrad", "torch", 0.90), ("chaingrad", "numpy", 1.15))),
    "lenet": ("LeNet-5 train step, batch 128", "<= 1.5", (("chaingrad", "torch", 1.5),)),
    "seed_compiled": ("seed step (fwd, bwd, SGD update), chaingrad.compile'd", "<= 1.3x NumPy, <= 0.2",
                      (("chaingrad", "numpy", 1.3), ("chaingrad", "torch", 0.2))),
    "small_compiled": ("small graph fwd+bwd, chaingrad.compile'd", "<= 1.5x NumPy", (("chaingrad", "numpy", 1.5),)),
    "mlp_compiled": ("MLP 784-512-512-10 step, batch 256, chaingrad.compile'd", "<= 1.03x NumPy",
                     (("chaingrad", "numpy", 1.03),)),
    "lenet_compiled": ("LeNet-5 step, batch 128, chaingrad.compile'd", "<= 1.05x NumPy",
                       (("chaingrad", "numpy", 1.05),)),
    "seed_inductor": ("peers: seed step; chaingrad.compile vs torch.compile (inductor, CPU) in the PyTorch column",
                      "none (peer)", ()),
    "mlp_inductor": ("peers: MLP 784-512-512-10 step, batch 256; chaingrad.compile vs torch.compile (inductor, CPU)",
                     "none (peer)", ()),
    "mlp_first_call": ("first call of the compiled MLP step (trace + generate); NumPy column: one eager "
                       "chaingrad step", "<= 5x eager", (("chaingrad", "numpy", 5.0),)),
    "seed_numba": ("seed step (fwd, bwd, SGD update), chaingrad.compile(backend='numba')", "<= 1.3x NumPy, <= 0.2",
                   (("chaingrad", "numpy", 1.3), ("chaingrad", "torch", 0.2))),
    "small_numba": ("small graph fwd+bwd, chaingrad.compile(backend='numba')", "<= 1.5x NumPy",
                    (("chaingrad", "numpy", 1.5),)),
    "mlp_numba": ("MLP 784-512-512-10 step, batch 256, chaingrad.compile(backend='numba')", "<= 1.03x NumPy",
                  (("chaingrad", "numpy", 1.03),)),
    "chain": ("20,000-op scalar chain, fwd+bwd", "<= 1.0", (("chaingrad", "torch", 1.0),)),
    "randn": ("randn(10^6) float32, torch's stream", "<= 5", (("chaingrad", "torch", 5.0),)),
    "rand": ("rand(10^6) float32", "<= 2", (("chaingrad", "torch", 2.0),)),
    "randint": ("randint(0, 10, (10^6,))", "<= 2", (("chaingrad", "torch", 2.0),)),
    "bernoulli": ("bernoulli(p), 10^6 float32 probabilities", "<= 2", (("chaingrad", "torch", 2.0),)),
    "dropout": ("F.dropout(x, 0.5) on 10^6 float32, training", "<= 2", (("chaingrad", "torch", 2.0),)),
    "randperm": ("randperm(10^6)", "<= 5", (("chaingrad", "torch", 5.0),)),
    "random_small": ("calls on <= 16 elements (rand, randn(15), randint, randperm, uniform_, bernoulli), "
                     "per call", "<= 5 µs", (("chaingrad", None, 5e-6),)),
    "randn_16": ("randn(16) float32: one block of torch's AVX2 normal kernel", "<= 5 µs",
                 (("chaingrad", None, 5e-6),)),
}
NUMBA_ROWS = ("seed_numba", "small_numba", "mlp_numba")
ALL_ROWS = ("seed", "seed_hand", "small", "mlp", "lenet", "seed_compiled", "small_compiled", "mlp_compiled",
            "lenet_compiled", "seed_inductor", "mlp_inductor", "mlp_first_call", *NUMBA_ROWS, "rss", "chain",
            "seed_program",
            "import",
            "randn", "rand", "randint", "bernoulli", "dropout", "randperm", "random_small", "randn_16")  # table order


if __name__ == "__main__":
    sys.exit(main())
