"""The ``chaingrad`` command: demo, explain, train, bench."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chaingrad", description="Backpropagation you can read, run and see.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="train the seed's linear regression by hand and with autodiff")
    demo.add_argument("--out", default="chaingrad-demo", help="folder for fit.png and loss.png")
    demo.add_argument("--epochs", type=int, default=100)
    demo.add_argument("--lr", type=float, default=0.01)

    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import main as demo_main

        return demo_main(args.out, args.epochs, args.lr)
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
