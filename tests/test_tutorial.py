"""Every ```python block of docs/tutorial.md runs, in order, in one namespace; its pictures exist."""

from __future__ import annotations

import contextlib
import io
import os
import re

DOC = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "tutorial.md")


def blocks() -> list[str]:
    with open(DOC, encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), re.S)


def test_tutorial_code_blocks_run_in_order(tmp_path, monkeypatch):
    code = blocks()
    assert len(code) >= 8
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__tutorial__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for i, block in enumerate(code):
            try:
                exec(compile(block, f"tutorial block {i + 1}", "exec"), namespace)
            except Exception as err:  # name the block that failed
                raise AssertionError(f"tutorial block {i + 1} failed: {err!r}\n{block}") from err
    text = out.getvalue()
    assert "[-1.5 -3.  -4.5]" in text and "[[-21.]] [-9.]" in text
    assert (tmp_path / "seed-graph.png").exists() and (tmp_path / "mlp-graph.png").exists()


def test_tutorial_pictures_are_committed_and_named_by_a_command():
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    assert "chaingrad explain --out docs/img" in text
    for img in re.findall(r"\]\((img/[^)]+)\)", text):
        assert os.path.exists(os.path.join(os.path.dirname(DOC), img)), img
