"""A benchmark worker: one library per process, driven over stdin/stdout by ``benchmarks.run``.

Keeping each library in its own process means chaingrad's timings never include torch being imported,
and NumPy's BLAS threads and torch's OpenMP threads never spin against each other on the same cores.

Commands (one JSON object per line): ``{"cmd": "build", "workload": w}`` builds and warms up a workload;
``{"cmd": "block", "workload": w, "n": n}`` times n calls and answers the seconds per unit of work;
``{"cmd": "drop", "workload": w}`` frees it once its row is done.
``python -m benchmarks.worker --lib L --rss W STEPS`` instead runs STEPS steps in a fresh process and
prints its peak resident memory.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time


def blas_threads() -> int:
    from threadpoolctl import threadpool_info

    for info in threadpool_info():
        if info.get("user_api") == "blas":
            return int(info["num_threads"])
    return 1


def _setup(lib: str) -> None:
    import numpy  # noqa: F401 - every worker uses NumPy for its data

    if lib == "torch":
        import torch

        torch.set_num_threads(blas_threads())


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def serve(lib: str) -> None:
    from benchmarks.workloads import WORKLOADS

    _setup(lib)
    built: dict = {}
    out = sys.stdout
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["cmd"] == "build":
            step, unit = WORKLOADS[msg["workload"]](lib)
            reply = {"available": step is not None}
            if step is not None:
                built[msg["workload"]] = (step, unit)
                start = time.perf_counter()
                calls = 0
                while calls < 3 or time.perf_counter() - start < msg.get("warmup", 0.2):  # warm-up
                    step()
                    calls += 1
                reply["seconds"] = (time.perf_counter() - start) / calls
        elif msg["cmd"] == "block":
            step, unit = built[msg["workload"]]
            n = msg["n"]
            gc.collect()
            start = time.perf_counter()
            for _ in range(n):
                step()
            reply = {"seconds": (time.perf_counter() - start) / n / unit}
        elif msg["cmd"] == "drop":
            built.pop(msg["workload"], None)
            gc.collect()
            reply = {}
        elif msg["cmd"] == "info":
            from threadpoolctl import threadpool_info

            reply = {"threadpools": threadpool_info(), "blas_threads": blas_threads()}
            if lib == "torch":
                import torch

                reply["torch"] = torch.__version__
                reply["torch_threads"] = torch.get_num_threads()
        else:
            reply = {"error": f"unknown command {msg['cmd']}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


def rss(lib: str, workload: str, steps: int) -> None:
    from benchmarks.workloads import WORKLOADS

    _setup(lib)
    step, _ = WORKLOADS[workload](lib)
    if step is None:
        print(json.dumps({"available": False}))
        return
    before = _peak_rss_mib()
    for _ in range(steps):
        step()
    print(json.dumps({"available": True, "setup_mib": before, "peak_mib": _peak_rss_mib()}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lib", required=True, choices=["chaingrad", "torch", "numpy"])
    parser.add_argument("--rss", nargs=2, metavar=("WORKLOAD", "STEPS"))
    args = parser.parse_args()
    if args.rss:
        rss(args.lib, args.rss[0], int(args.rss[1]))
    else:
        serve(args.lib)


if __name__ == "__main__":
    main()
