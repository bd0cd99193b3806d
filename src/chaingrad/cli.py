"""The ``chaingrad`` command: demo, explain, train, compile-demo, bench."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    from . import __version__

    parser = argparse.ArgumentParser(prog="chaingrad", description="Backpropagation you can read, run and see.")
    parser.add_argument("--version", action="version", version=f"chaingrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="train the seed's linear regression by hand and with autodiff")
    demo.add_argument("--out", default="chaingrad-demo", help="folder for fit.png and loss.png")
    demo.add_argument("--epochs", type=int, default=100)
    demo.add_argument("--lr", type=float, default=0.01)

    train = sub.add_parser("train", help="train a textbook model (linreg, softmax, mlp, lenet) with a progress "
                           "bar, curves and saved weights")
    train.add_argument("model", choices=["linreg", "softmax", "mlp", "lenet"],
                       help="linreg: synthetic regression; softmax, mlp, lenet: the 8x8 digits")
    train.add_argument("--epochs", type=int, default=None, help="default: the model's recipe (20, linreg 5)")
    train.add_argument("--lr", type=float, default=None, help="learning rate (default: the model's recipe)")
    train.add_argument("--batch-size", type=int, default=None, help="default: the model's recipe")
    train.add_argument("--seed", type=int, default=0, help="chaingrad.manual_seed for weights and shuffling")
    train.add_argument("--out", default="chaingrad-train", help="folder for MODEL.png (curves) and MODEL.pt")
    train.add_argument("--no-progress", action="store_true", help="no progress bars (per-epoch lines only)")

    explain = sub.add_parser("explain", help="print the chain-rule trace of the seed's loss (or an MLP's, LeNet's, a "
                             "script's) and draw its computational graph, or write a page that steps through it")
    explain.add_argument("example", nargs="?", default="seed", metavar="{seed,mlp,lenet,FILE.py}",
                         help="seed: the linear regression at its initial weights; mlp: a 2-layer MLP on 8 points; "
                         "lenet: LeNet on 4 images; FILE.py: a script that leaves its loss in a variable `loss`")
    explain.add_argument("--out", default="chaingrad-explain", help="folder for EXAMPLE-graph.png and .svg")
    explain.add_argument("--html", default=None, metavar="PATH",
                         help="write the backward pass as one self-contained HTML page that steps through it")

    cdemo = sub.add_parser("compile-demo", help="compile the seed's training step and print the NumPy code the "
                           "compiler wrote (its hand-derived gradients)")
    cdemo.add_argument("--epochs", type=int, default=100)

    bench = sub.add_parser("bench", help="time chaingrad against PyTorch and hand-written NumPy (writes BENCHMARKS.md)",
                           add_help=False)
    bench.add_argument("bench_args", nargs=argparse.REMAINDER, help="options of benchmarks/run.py (try --help)")

    args, extra = parser.parse_known_args(argv)
    if args.command == "bench":
        return _bench(extra + args.bench_args)
    if extra:
        parser.error("unrecognized arguments: " + " ".join(extra))
    if args.command == "demo":
        from .demo import main as demo_main

        return demo_main(args.out, args.epochs, args.lr)
    if args.command == "explain":
        from .explain.cli import main as explain_main

        return explain_main(args.example, args.out, html=args.html)
    if args.command == "compile-demo":
        from .compiler.demo import main as compile_demo_main

        return compile_demo_main(args.epochs)
    if args.command == "train":
        from .train import main as train_main

        return train_main(args.model, args.epochs, args.lr, args.batch_size, args.seed, args.out,
                          progress=not args.no_progress)
    parser.error(f"unknown command {args.command}")
    return 2


def _bench(argv: list[str]) -> int:
    """Run benchmarks/run.py from the source checkout (the suite is not part of the installed package)."""
    import os
    from pathlib import Path

    candidates = [Path.cwd(), Path(__file__).resolve().parents[2]]
    for root in candidates:
        if (root / "benchmarks" / "run.py").is_file():
            sys.path.insert(0, str(root))
            os.chdir(root)
            from benchmarks.run import main as bench_main

            return bench_main(argv)
    print("chaingrad bench: benchmarks/run.py not found; run it from a chaingrad source checkout", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
