"""draw(): PNG and SVG with matplotlib only (no Graphviz), DOT text that is structurally the graph, Jupyter
display, gradients shown without changing .grad, and big graphs summarized."""

from __future__ import annotations

import re
import sys

import numpy as np

import chaingrad as torch


def seed():
    x = torch.tensor([[1.0], [2.0], [3.0]])
    y_true = torch.tensor([[2.0], [4.0], [6.0]])
    w = torch.tensor([[0.5]], requires_grad=True)
    b = torch.tensor([0.0], requires_grad=True)
    y_pred = torch.matmul(x, w) + b
    loss = 0.5 * torch.sum((y_pred - y_true) ** 2)
    return x, y_true, w, b, y_pred, loss


def parse_dot(text: str):
    assert text.startswith("digraph") and text.rstrip().endswith("}")
    nodes = dict(re.findall(r'^\s*(\w+) \[shape=\w+, .*label="(.*)"\];$', text, re.M))
    edges = re.findall(r"^\s*(\w+) -> (\w+)", text, re.M)
    return nodes, edges


def test_png_and_svg_without_graphviz(tmp_path):
    x, y_true, w, b, y_pred, loss = seed()
    pic = torch.draw(loss, str(tmp_path / "g.png"))
    pic.save(str(tmp_path / "g.svg"))
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "g.svg").read_bytes()[:2000]
    assert pic._repr_png_()[:4] == b"\x89PNG" and "<svg" in pic._repr_svg_()
    assert "graphviz" not in sys.modules and "pydot" not in sys.modules


def test_dot_is_the_graph(tmp_path):
    x, y_true, w, b, y_pred, loss = seed()
    pic = torch.draw(loss, str(tmp_path / "g.dot"))
    text = (tmp_path / "g.dot").read_text()
    assert text == pic.to_dot()
    nodes, edges = parse_dot(text)
    ops = {n for n, label in nodes.items() if n.startswith("op")}
    tensors = set(nodes) - ops
    assert len(ops) == 6  # matmul, add, sub, pow, sum, mul
    names = {label.split("\\n")[0] for n, label in nodes.items() if n in tensors}
    assert {"x", "w", "b", "y_pred", "y_true", "loss"} <= names
    for a, b_ in edges:
        assert a in nodes and b_ in nodes
        assert (a in ops) != (b_ in ops)  # arrows join tensors and ops, in data-flow direction
    # every op has exactly one output, and the loss is produced by the last op
    for op in ops:
        assert sum(1 for a, _ in edges if a == op) == 1
    loss_id = next(n for n, label in nodes.items() if label.startswith("loss"))
    assert any(b_ == loss_id for _, b_ in edges)
    # acyclic: Kahn's algorithm consumes every node
    indeg = {n: 0 for n in nodes}
    for _, b_ in edges:
        indeg[b_] += 1
    ready = [n for n, d in indeg.items() if d == 0]
    seen = 0
    while ready:
        n = ready.pop()
        seen += 1
        for a, b_ in edges:
            if a == n:
                indeg[b_] -= 1
                if indeg[b_] == 0:
                    ready.append(b_)
    assert seen == len(nodes)


def test_boxes_show_values_and_gradients_without_changing_grad():
    x, y_true, w, b, y_pred, loss = seed()
    pic = torch.draw(loss, grads=True)
    assert w.grad is None and b.grad is None
    labels = {n.lines[0]: n for n in pic.nodes}
    assert "= [[0.5]]" in labels["w"].lines and "grad [[-21]]" in labels["w"].lines
    assert "grad [-9]" in labels["b"].lines
    assert "grad [[-1.5], [-3], [-4.5]]" in labels["y_pred"].lines
    loss.backward()
    after = torch.draw(loss)  # graph freed: leaves still show their .grad
    labels = {n.lines[0]: n for n in after.nodes}
    assert "grad [[-21]]" in labels["w"].lines


def test_two_hundred_ops_are_summarized(tmp_path):
    x = torch.randn(5, requires_grad=True)
    y = x
    for _ in range(70):
        y = torch.tanh(y * 1.1 + 0.1)
    z = y.sum() + x.sum()
    pic = torch.draw(z, str(tmp_path / "chain.png"))
    assert pic.summarized and len(pic.nodes) < 15
    assert any("chain of" in n.lines[0] for n in pic.nodes)

    ws = [torch.randn(3, requires_grad=True) for _ in range(40)]
    acc = 0
    for i, w in enumerate(ws):
        acc = acc + (w * w).sum() * ws[(i + 1) % 40].sum()
    pic = torch.draw(acc, str(tmp_path / "branches.svg"), max_nodes=60)
    assert pic.summarized and len(pic.nodes) <= 60
    assert (tmp_path / "branches.svg").stat().st_size > 0


def test_module_prefixes_group_big_models():
    class Lin:
        def __init__(self, i, o):
            self.weight = torch.randn(i, o, requires_grad=True)
            self.bias = torch.zeros(o, requires_grad=True)

    layers = [Lin(6, 6) for _ in range(12)]
    for k, layer in enumerate(layers):
        layer.weight.name, layer.bias.name = f"layer{k}.weight", f"layer{k}.bias"
    h = torch.randn(4, 6)
    for layer in layers:
        h = torch.relu(h @ layer.weight + layer.bias)
    out = h.pow(2).mean()
    pic = torch.draw(out, max_nodes=40)
    assert pic.summarized and "modules" in pic.summary
    titles = [n.lines[0] for n in pic.nodes]
    assert any(t.startswith("layer3:") for t in titles)
    png = pic._repr_png_()
    assert png[:4] == b"\x89PNG"


def test_layout_keeps_boxes_apart():
    x, y_true, w, b, y_pred, loss = seed()
    pic = torch.draw(loss)
    boxes = [(n.x - n.w / 2, n.x + n.w / 2, n.y - n.h / 2, n.y + n.h / 2) for n in pic.nodes]
    for i, a in enumerate(boxes):
        for c in boxes[i + 1:]:
            overlap_x = min(a[1], c[1]) - max(a[0], c[0])
            overlap_y = min(a[3], c[3]) - max(a[2], c[2])
            assert overlap_x <= 1e-9 or overlap_y <= 1e-9
    # data flows left to right: every arrow points rightwards
    pos = {n.id: n.x for n in pic.nodes}
    assert all(pos[a] < pos[b_] for a, b_, _ in pic.edges)
    tb = torch.draw(loss, direction="TB")
    pos = {n.id: n.y for n in tb.nodes}
    assert all(pos[a] < pos[b_] for a, b_, _ in tb.edges)
    assert np.isfinite([n.x for n in tb.nodes]).all()
