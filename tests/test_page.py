"""The stepping page's content, read from its HTML without a browser: it is self-contained, its numbers are the
report's (the seed's hand-derived -21 and -9), broadcasting and accumulation are steps of their own, big tensors
are summarized, big graphs are folded, and several pages in one document keep to their own ids."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np

import chaingrad as torch
from chaingrad.explain.cli import lenet_loss, mlp_loss, seed_loss
from chaingrad.explain.page_graph import MAX_BOXES


def data_of(html: str) -> dict:
    """The JSON the page's script reads."""
    raw = re.search(r"<script type='application/json' class='cgp-data'>(.*?)</script>", html, re.S).group(1)
    return json.loads(raw.replace("<\\/", "</"))


def value(d: dict, vi):
    return d["values"][vi]


def seed_page(tmp_path):
    loss, names = seed_loss()
    report = torch.explain(loss)
    path = report.save(str(tmp_path / "seed.html"))
    with open(path, encoding="utf-8") as f:
        return report, f.read()


def test_page_is_one_self_contained_file(tmp_path):
    report, html = seed_page(tmp_path)
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<style>" in html and "<script>" in html
    # nothing from the network: no links, no external scripts or images, no URLs but the SVG namespace
    assert not re.search(r"<link|<img|\bsrc=|@import|url\((?!#)", html)
    assert set(re.findall(r"https?://[^\s'\"]+", html)) <= {"http://www.w3.org/2000/svg"}


def test_seed_page_shows_the_hand_derived_numbers(tmp_path):
    report, html = seed_page(tmp_path)
    d = data_of(html)
    assert len(d["steps"]) == len(report.steps) == 7
    matmul = next(s for s in d["steps"] if s["op"] == "MatMul")
    w_in = next(i for i in matmul["ins"] if d["tensors"][i["t"]]["n"] == "w")
    assert w_in["f"] == "dL/dB = A^T @ dL/dout"
    assert w_in["fn"].startswith("dL/dw = x^T @ dL/d")
    assert w_in["fx"] == "dL/dw = [[1], [2], [3]]^T @ [[-1.5], [-3], [-4.5]] = [[-21]]"
    assert value(d, w_in["g"]) == "[[-21]]"
    leaves = {d["tensors"][lf["t"]]["n"]: value(d, lf["g"]) for lf in d["leaves"]}
    assert leaves == {"w": "[[-21]]", "b": "[-9]"}
    np.testing.assert_allclose(report.grad("w"), [[-21.0]])
    sub = next(s for s in d["steps"] if s["op"] == "Sub")
    assert value(d, sub["gout"]) == "[[-1.5], [-3], [-4.5]]"  # the seed's dL/dy_pred = y_pred - y_true


def test_broadcast_sum_is_a_step_on_its_edge(tmp_path):
    report, html = seed_page(tmp_path)
    d = data_of(html)
    i = next(k for k, s in enumerate(d["steps"]) if s["kind"] == "unbroadcast")
    ub = d["steps"][i]
    assert d["steps"][i - 1]["op"] == "Add" and d["tensors"][ub["t"]]["n"] == "b"
    assert ub["dims"] == [0] and ub["from"] == "[3, 1]" and ub["to"] == "[1]"
    assert value(d, ub["gout"]) == "[[-1.5], [-3], [-4.5]]" and value(d, ub["g"]) == "[-9]"
    # the Add step says the sum follows, and b's gradient is complete only after the sum
    b_in = next(x for x in d["steps"][i - 1]["ins"] if x["t"] == ub["t"])
    assert b_in["sum"] is True
    assert [ev["fin"] for ev in ub["acc"] if ev["t"] == ub["t"]] == [True]
    b_leaf = next(lf for lf in d["leaves"] if lf["t"] == ub["t"])
    assert b_leaf["at"] == i + 1
    # the graph has the edge b -> Add that the sum is drawn on
    view = d["views"][0]
    assert f"data-a='{view['t'][str(ub['t'])]}' data-b='{view['op'][ub['o']]}'" in html


def test_accumulation_when_paths_meet():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (x * x).sum() + (3 * x).sum()
    report = torch.explain(loss)
    d = data_of(report._repr_html_())
    j = next(k for k, t in enumerate(d["tensors"]) if t["n"] == "x")
    events = [ev for s in d["steps"] for ev in s["acc"] if ev["t"] == j]
    assert [ev["n"] for ev in events] == [1, 2, 3] and [ev["fin"] for ev in events] == [False, False, True]
    assert value(d, events[-1]["tot"]) == "[5, 7, 9]"  # 2x + 3
    np.testing.assert_allclose(report.grad("x"), [5.0, 7.0, 9.0])


def test_number_operands_show_their_numbers():
    loss, names = seed_loss()
    report = torch.explain(loss)
    text = str(report)
    assert "dL/dloss * 0.5" in text and "dL/dloss * n" not in text
    assert "= [[1], [2], [3]]^T @ [[-1.5], [-3], [-4.5]] = [[-21]]" in text  # MatMul with the forward values
    assert "out: y_pred = [[0.5], [1], [1.5]]" in text                     # Add's output value
    mul = report.steps[0]
    assert mul.op == "Mul" and mul.formulas_named[0].endswith(" = dL/dloss * 0.5")
    assert mul.formulas_numeric[0].endswith(" = 1 * 0.5 = 0.5")


def test_big_tensors_are_summarized_with_a_heat_map():
    loss, names = mlp_loss()
    d = data_of(torch.explain(loss)._repr_html_())
    big = [v for v in d["values"] if isinstance(v, dict)]
    assert big and all(len(v["h"][2]) == 2 * v["h"][0] * v["h"][1] <= 2 * 16 * 16 for v in big)
    assert all(len(v) <= 120 for v in d["values"] if isinstance(v, str))  # never dumped
    w1 = next(v for v in big if v["s"] == [4, 16])
    assert float(w1["mn"]) <= float(w1["me"]) <= float(w1["mx"])


def test_lenet_modules_are_boxes_that_open():
    loss, names = lenet_loss()
    report = torch.explain(loss)
    d = data_of(report._repr_html_())
    overview = d["views"][0]
    assert set(overview["opens"].values()) == {v["key"] for v in d["views"][1:]}
    assert len(d["views"]) == 1 + 5  # net.0, net.3, net.7, net.9, net.11
    conv = next(k for k, op in enumerate(d["ops"]) if op["op"] == "Conv2d")
    opened = next(v for v in d["views"][1:] if conv in v["members"])
    assert opened["op"][conv].startswith("o") and overview["op"][conv].startswith("g_")


def test_big_graphs_are_folded():
    x = torch.tensor([0.5, 1.0], requires_grad=True)
    h = x
    for i in range(2000):
        h = torch.tanh(h) if i % 2 else h * 1.01
    report = torch.explain(h.sum())
    html = report._repr_html_()
    d = data_of(html)
    assert len(d["steps"]) == 2001
    overview = html.split("<template", 1)[0]
    assert overview.count("class='cgp-n ") <= MAX_BOXES
    assert any(len(ks) > 1000 for ks in d["views"][0]["chains"].values())  # the chain is one box


def test_an_unrolled_rnn_is_grouped_into_stages():
    torch.manual_seed(0)
    W = torch.randn(4, 4, requires_grad=True)
    U = torch.randn(3, 4, requires_grad=True)
    h = torch.zeros(2, 4)
    for _ in range(100):
        h = torch.tanh(h @ W + torch.randn(2, 3) @ U)
    report = torch.explain((h ** 2).mean())
    d = data_of(report._repr_html_())
    assert len(d["views"]) > 5
    for v in d["views"]:  # each op is shown somewhere: in the overview as a box, in its stage in full
        assert all(el is not None for el in d["views"][0]["op"])
        assert all(v["op"][k] is not None and v["op"][k].startswith("o") for k in v["members"])


def test_jupyter_html_is_scoped_and_keeps_the_table():
    loss, names = seed_loss()
    a, b = torch.explain(loss)._repr_html_(), torch.explain(loss)._repr_html_()
    ids_a, ids_b = set(re.findall(r"[\s<]id='([^']+)'", a)), set(re.findall(r"[\s<]id='([^']+)'", b))
    assert ids_a and not ids_a & ids_b
    assert "<html" not in a and "data-cgp" in a and "<table" in a and "<svg" in a
    assert "dL/dloss * 0.5" in str(torch.explain(loss))  # str() stays the terminal table


def test_cli_writes_pages(tmp_path):
    script = tmp_path / "tiny.py"
    script.write_text("import chaingrad as torch\n"
                      "a = torch.tensor([1.0, -2.0], requires_grad=True)\n"
                      "loss = (a.exp() * a).sum()\n")
    for example in ("seed", "lenet", str(script)):
        out = tmp_path / f"{example.rsplit('/', 1)[-1]}.html"
        proc = subprocess.run([sys.executable, "-m", "chaingrad.cli", "explain", example, "--html", str(out)],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert out.exists() and "data-cgp" in out.read_text()
    d = data_of((tmp_path / "tiny.py.html").read_text())
    assert {t["n"] for t in d["tensors"]} >= {"a", "loss"}
    bad = subprocess.run([sys.executable, "-m", "chaingrad.cli", "explain", "nonsense"], capture_output=True,
                         text=True, timeout=60, cwd=tmp_path)
    assert bad.returncode != 0 and "seed, mlp, lenet or a Python file" in bad.stderr
