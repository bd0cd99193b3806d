"""The README's first example runs and prints the gradients it promises."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_prints_the_seed_gradients():
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    text = out.getvalue()
    assert "tensor([[-21.]]) tensor([-9.])" in text
    assert "dL/dB = A^T @ dL/dout" in text  # the trace shows matmul's local derivative
