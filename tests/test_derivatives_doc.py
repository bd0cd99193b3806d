"""docs/derivatives.md is the table of every op's derivatives, written from the ops' own formula text:
it must be current, and every op must carry a formula for each of its inputs, in its inputs' names."""

from __future__ import annotations

import re
from pathlib import Path

from chaingrad.explain.derivatives import main, ops, table

DOC = Path(__file__).resolve().parent.parent / "docs" / "derivatives.md"


def test_the_committed_table_is_current():
    assert DOC.read_text(encoding="utf-8") == table(), \
        "docs/derivatives.md is out of date: run python -m chaingrad.explain.derivatives"
    assert main(["--check", "--out", str(DOC)]) == 0


def test_the_table_lists_every_op_with_a_row_per_input():
    text = table()
    names = [op.op_name for op in ops()]
    for name in ("Add", "Mul", "Pow", "MatMul", "Conv2d", "Conv2dBackward", "Sum", "Prod", "NllLoss", "Sigmoid",
                 "Unfold", "Fold", "Index", "IndexAdd", "ConstantPadNd"):
        assert name in names and f"| {name} |" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| op")]
    assert len(rows) == sum(max(len(op.input_names), len(op.formulas)) for op in ops())


def test_every_formula_is_written_for_its_inputs_name():
    for op in ops():
        names, texts = op.input_names, op.formulas
        assert texts, f"{op.__name__} carries no formula"
        if len(names) > 1:
            assert len(texts) == len(names), f"{op.__name__}: {len(names)} inputs, {len(texts)} formulas"
        for i, text in enumerate(texts):
            name = names[i] if i < len(names) else names[0]
            assert text.startswith(("not differentiable", "none")) or \
                re.match(rf"dL/d{re.escape(name)}(?![A-Za-z0-9])", text), f"{op.__name__} input {name}: {text!r}"


def test_check_mode_reports_a_stale_file(tmp_path):
    stale = tmp_path / "derivatives.md"
    stale.write_text("old\n", encoding="utf-8")
    assert main(["--check", "--out", str(stale)]) == 1
    assert main(["--out", str(stale)]) == 0 and stale.read_text(encoding="utf-8") == table()
