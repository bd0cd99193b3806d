"""docs/tutorial.ipynb is docs/tutorial.md (jupytext's markdown format, the one source) and runs in a Jupyter
kernel (nbclient, ipykernel): every cell runs, the stepper and the graph appear in the outputs, and the numbers
are the seed's hand-derived ones."""

from __future__ import annotations

import json
import os
import re

import jupytext
import nbformat
from nbclient import NotebookClient

DOCS = os.path.join(os.path.dirname(__file__), os.pardir, "docs")
MD, IPYNB = os.path.join(DOCS, "tutorial.md"), os.path.join(DOCS, "tutorial.ipynb")


def _cells(nb) -> list:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_notebook_is_made_from_the_markdown():
    made = jupytext.read(MD)
    committed = nbformat.read(IPYNB, as_version=4)
    assert _cells(committed) == _cells(made), "docs/tutorial.ipynb is stale: run `make notebook`"
    assert sum(c.cell_type == "code" for c in committed.cells) >= 9


def test_notebook_runs_and_shows_the_stepper(tmp_path):
    nb = nbformat.read(IPYNB, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    texts, htmls, images = [], [], []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert all(o.output_type != "error" for o in cell.outputs), cell.source
        for o in cell.outputs:
            if o.output_type == "stream":
                texts.append(o.text)
            data = o.get("data", {})
            htmls += [data["text/html"]] if "text/html" in data else []
            images += [k for k in data if k.startswith("image/")]
    text = "".join(texts)
    assert "[-1.5 -3.  -4.5]" in text and "[[-21.]] [-9.]" in text            # by hand and by backward()
    assert "= [[1], [2], [3]]^T @ [[-1.5], [-3], [-4.5]] = [[-21]]" in text  # explain's table, with numbers
    stepper = next(h for h in htmls if "data-cgp" in h)
    assert "<svg" in stepper and "<script>" in stepper
    data = json.loads(re.search(r"class='cgp-data'>(.*?)</script>", stepper, re.S).group(1).replace("<\\/", "</"))
    leaves = {data["tensors"][lf["t"]]["n"]: data["values"][lf["g"]] for lf in data["leaves"]}
    assert leaves == {"w": "[[-21]]", "b": "[-9]"}
    assert images  # the graph picture
    assert (tmp_path / "seed-trace.html").exists()
