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


def test_readme_names_the_page_command_and_its_screenshot():
    text = README.read_text()
    assert "chaingrad explain --html trace.html" in text and "make screenshots" in text
    shot = re.search(r"!\[[^\]]*\]\((docs/img/explain-page\.png)\)", text).group(1)
    assert (README.parent / shot).stat().st_size > 20_000
