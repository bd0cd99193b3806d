"""All the calculus of chaingrad in one table: every op, its inputs and its derivative, from the ops' own formulas.

The formulas are the text each op carries beside its backward (``Node.formulas``), the same text ``explain``
prints next to the numbers. ``python -m chaingrad.explain.derivatives`` writes the table to
docs/derivatives.md (``--check`` only compares); a test keeps the committed file current.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

from ..autograd.function import FunctionCtx, Node

HEADER = """# Derivatives

Every differentiable operation of chaingrad, the names of its inputs, and the gradient of the loss L with
respect to each input, as the op's own formula text (``dL/dout`` is the gradient arriving at the op's output).
Written by `python -m chaingrad.explain.derivatives` from the `formulas` each op carries beside its backward
code; `chaingrad.explain` prints the same text next to the numbers. An input marked *(or a number)* may be a
Python number (`x * 0.5`), which needs no gradient.
"""


def ops() -> list[type[Node]]:
    """Every op class of chaingrad (user ``Function`` nodes and per-call variants left out), by file and line."""
    import chaingrad  # noqa: F401 - defines every op
    import chaingrad.nn.functional  # noqa: F401

    found, stack = [], list(Node.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if issubclass(cls, FunctionCtx) or not cls.__module__.startswith("chaingrad."):
            continue
        if getattr(sys.modules[cls.__module__], cls.op_name, None) is not cls:  # a variant (Node.named)
            continue
        found.append(cls)
    return sorted(set(found), key=lambda c: (c.__module__, inspect.getsourcelines(c)[1]))


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table() -> str:
    """docs/derivatives.md as text."""
    lines = [HEADER, "| op | file | input | dL/d(input) |", "|---|---|---|---|"]
    for op in ops():
        file = op.__module__.removeprefix("chaingrad.").replace(".", "/") + ".py"
        names = op.input_names
        texts = op.formulas
        n = max(len(names), len(texts))
        for i in range(n):
            name = names[i] if i < len(names) else f"input {i}"
            if len(texts) == 1 and n == 1 and len(names) == 1 and names[0] == "x" and "_k" in texts[0]:
                name = "x_k (each input)"
            if op.takes_numbers:
                name += " *(or a number)*"
            text = texts[i] if i < len(texts) else ""
            lines.append(f"| {op.op_name if i == 0 else ''} | {file if i == 0 else ''} | {_cell(name)} | "
                         f"{_cell(text)} |")
    return "\n".join(lines) + "\n"


DOC = Path(__file__).resolve().parents[3] / "docs" / "derivatives.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaingrad.explain.derivatives",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DOC), help="where to write the table (default: docs/derivatives.md)")
    parser.add_argument("--check", action="store_true", help="only check that the file is current (exit 1 if not)")
    args = parser.parse_args(argv)
    text, path = table(), Path(args.out)
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date: run python -m chaingrad.explain.derivatives", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({text.count(chr(10)) - HEADER.count(chr(10)) - 2} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
