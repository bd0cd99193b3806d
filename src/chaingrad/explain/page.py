"""``report.save("trace.html")``: the backward pass as one self-contained page that steps through it.

The page holds the graph as inline SVG, the steps as JSON, and its CSS and JavaScript inline
(``page_assets/``): nothing is loaded from the network, so it opens from disk. ``report._repr_html_()`` is
the same stepper as a fragment for Jupyter; several in one notebook keep to their own element.
Everything here reads the report through ``Report.steps``, ``Report.leaf_grads`` and ``Report.graph``.
"""

from __future__ import annotations

import html
import json
import os
import uuid
from importlib import resources

import numpy as np

from ._graph import _INFIX, fmt_array, fmt_number, fmt_shape
from .page_graph import Numbered, build_views, svg

#: heat maps of big tensors have at most this many rows and columns (block means)
HEAT_CELLS = 16

# -- values -----------------------------------------------------------------------------------------------
class Values:
    """Arrays shown on the page, each stored once: small ones as text, big ones as a summary and heat map."""

    def __init__(self, max_values: int) -> None:
        self.max_values = max_values
        self.items: list = []
        self._index: dict = {}

    def add(self, a) -> int | None:
        if a is None:
            return None
        a = np.asarray(a)
        key = (a.shape, a.dtype.str, hash(a.tobytes()))
        k = self._index.get(key)
        if k is None:
            k = self._index[key] = len(self.items)
            self.items.append(self._item(a))
        return k

    def _item(self, a: np.ndarray):
        if a.size <= self.max_values:
            return fmt_array(a, self.max_values)
        f = a.astype(np.float64)
        item = {"s": list(a.shape), "mn": fmt_number(f.min()), "mx": fmt_number(f.max()),
                "me": fmt_number(f.mean())}
        item["h"] = heat_map(f)
        return item


def heat_map(f: np.ndarray) -> list:
    """``[rows, cols, hex]``: the array as a 2-D grid of block means, 00..ff with 80 for zero, scaled by max |v|."""
    m = f.reshape(1, -1) if f.ndim < 2 else f.reshape(f.shape[0], -1)  # [batch, everything else]
    m = np.nan_to_num(m, nan=0.0, posinf=0.0, neginf=0.0)
    r, c = m.shape
    nr, nc = min(r, HEAT_CELLS), min(c, HEAT_CELLS)
    re_ = np.linspace(0, r, nr + 1).astype(int)
    ce = np.linspace(0, c, nc + 1).astype(int)
    sums = np.add.reduceat(np.add.reduceat(m, re_[:-1], axis=0), ce[:-1], axis=1)
    blocks = sums / np.outer(np.diff(re_), np.diff(ce))
    amax = float(np.abs(blocks).max()) or 1.0
    q = np.clip(np.round(blocks / amax * 127 + 128), 0, 255).astype(np.uint8)
    return [nr, nc, q.tobytes().hex()]


# -- the data the page steps through --------------------------------------------------------------------
def forward_text(g: Numbered, k: int) -> str:
    """``x @ w`` or ``sum((y_pred - y_true)^2) * 0.5``: the op written with its inputs' names."""
    info = g.ops[k]
    names = [g.tensors[j].name for j in g.inputs[k] if j is not None]

    def wrap(s):
        return s if s.replace("_", "").replace(".", "").isalnum() else f"({s})"

    if info.op in _INFIX and len(names) == 2:
        return f"{wrap(names[0])} {_INFIX[info.op]} {wrap(names[1])}"
    if info.op == "Pow" and len(names) == 2:
        return f"{wrap(names[0])}^{wrap(names[1])}"
    if info.op == "Neg" and len(names) == 1:
        return f"-{wrap(names[0])}"
    return f"{info.op.lower()}({', '.join(names)})"


def page_data(report, g: Numbered, values: Values) -> dict:
    """Everything the page's script needs, as JSON-able data (tensors and values by number)."""
    view = report.graph
    steps = report.steps
    out = {"output": report.output_name, "outputValue": values.add(report.output_value)}
    out["tensors"] = [{"n": ti.name, "s": fmt_shape(ti.shape) if ti.shape is not None else "[?]", "k": ti.kind,
                       "v": values.add(ti.value) if ti.value is not None else None} for ti in g.tensors]
    out["ops"] = [{"op": info.op, "sym": info.symbol, "in": [j for j in g.inputs[k] if j is not None],
                   "out": g.outputs[k], "text": forward_text(g, k)} for k, info in enumerate(g.ops)]

    # which step adds to which tensor's gradient (a broadcast input: its sum step adds it)
    contributions: list = []  # (step position, tensor number, array)
    slots: list = []          # per step: the tensor numbers of its inputs
    for q, s in enumerate(steps):
        info = view.op_of[s.node]
        idx = [i for i, ti in enumerate(info.inputs) if ti is not None]
        js = [g.tensor_no[info.inputs[i].key] for i in idx]
        if s.kind == "unbroadcast":
            prev = slots[q - 1] if q else js
            cand = [j for j in js if g.tensors[j].name == s.output and g.tensors[j].shape == s.input_shapes[0]]
            j = cand[0] if cand else prev[0]
            slots.append([j])
            contributions.append((q, j, s.grads_in[0]))
            continue
        slots.append(js)
        later = {t.output for t in _following_sums(steps, q)}
        for j, name, gi in zip(js, s.inputs, s.grads_in):
            if gi is not None and name not in later:
                contributions.append((q, j, gi))
    expected: dict = {}
    for _, j, _ in contributions:
        expected[j] = expected.get(j, 0) + 1
    running: dict = {}
    seen: dict = {}
    acc_at: dict = {}  # step position -> [events]
    grads_by_key: dict = {}
    root = view.info_of(view.roots[0])
    if root is not None and steps and steps[0].grad_out is not None:
        j0 = g.tensor_no[root.key]
        acc_at.setdefault(0, []).append({"t": j0, "n": 1, "g": values.add(steps[0].grad_out),
                                         "tot": values.add(steps[0].grad_out), "fin": True})
        grads_by_key[root.key] = steps[0].grad_out
    for q, j, a in contributions:
        tot = a if j not in running else running[j] + a
        running[j] = tot
        seen[j] = seen.get(j, 0) + 1
        fin = seen[j] == expected[j]
        acc_at.setdefault(q, []).append({"t": j, "n": seen[j], "g": values.add(a), "tot": values.add(tot),
                                         "fin": fin})
        grads_by_key[g.tensors[j].key] = tot

    out["steps"] = []
    for q, s in enumerate(steps):
        info = view.op_of[s.node]
        k = g.op_no[s.node]
        outs = [j for j in g.outputs[k]]
        item = {"kind": s.kind, "op": s.op, "node": s.node_name, "o": k, "out": outs[0] if outs else None,
                "gout": values.add(s.grad_out), "acc": acc_at.get(q, [])}
        if s.kind == "unbroadcast":
            item.update({"t": slots[q][0], "dims": list(s.summed_dims), "from": fmt_shape(s.output_shape),
                         "to": fmt_shape(s.input_shapes[0]), "g": values.add(s.grads_in[0])})
        else:
            numeric = s.formulas_numeric or [""] * len(s.inputs)
            later = {t.output for t in _following_sums(steps, q)}
            item["ins"] = [{"t": j, "l": letter, "c": bool(const), "f": f, "fn": fn if fn != f else "", "fx": fx,
                            "g": values.add(gi), "sum": name in later}
                           for j, name, letter, const, f, fn, fx, gi in
                           zip(slots[q], s.inputs, s.input_letters, s.input_is_const, s.formulas,
                               s.formulas_named, numeric, s.grads_in)]
        out["steps"].append(item)
    final_at = {}
    for q, events in acc_at.items():
        for ev in events:
            if ev["fin"]:
                final_at[ev["t"]] = q + 1
    out["leaves"] = [{"t": g.tensor_no[("leaf", id(lg.tensor))], "g": values.add(lg.grad),
                      "at": final_at.get(g.tensor_no[("leaf", id(lg.tensor))])}
                     for lg in report.leaf_grads if ("leaf", id(lg.tensor)) in g.tensor_no]
    out["grads_by_key"] = grads_by_key  # removed before JSON: sizes the boxes' gradient lines
    return out


def _following_sums(steps: list, q: int) -> list:
    """The broadcast-sum steps right after step ``q`` that belong to its node."""
    found = []
    for s in steps[q + 1:]:
        if s.kind != "unbroadcast" or s.node is not steps[q].node:
            break
        found.append(s)
    return found


# -- HTML ---------------------------------------------------------------------------------------------------
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("page_assets", name).read_text(encoding="utf-8")


def page_fragment(report, standalone: bool = False) -> str:
    """The stepper as one ``<div>`` with its own style, data and script."""
    if report.graph is None:
        raise ValueError("this report has no recorded graph to draw; make it with chaingrad.explain(output)")
    g = Numbered(report.graph)
    values = Values(report.max_values)
    data = page_data(report, g, values)
    grads = data.pop("grads_by_key")
    views = build_views(g, grads, report.max_values)
    data["views"] = [{"key": v.key, "title": v.title, "op": [v.op_el.get(k) for k in range(len(g.ops))],
                      "members": v.members,
                      "t": {str(j): el for j, el in v.tensor_el.items()}, "opens": v.opens,
                      "chains": {el: ks for el, ks in v.chains.items()}} for v in views]
    data["values"] = values.items
    data["standalone"] = standalone
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    e = html.escape
    scope = "cgp" + uuid.uuid4().hex[:10]
    first = svg(views[0], 0, scope)
    more = "".join(f"<template data-view='{i}'>{svg(v, i, scope)}</template>" for i, v in enumerate(views) if i)
    title = f"Backward pass of {report.output_name} = {fmt_array(report.output_value, report.max_values)}"
    n_ops = len(g.ops)
    summary = f"{n_ops} op{'s' if n_ops != 1 else ''}, {len(report.steps)} backward steps"
    return (
        f"<div class='cgp' id='{scope}' data-cgp tabindex='0'>"
        f"{'' if standalone else '<style>' + _asset('page.css') + '</style>'}"
        f"<div class='cgp-head'><div class='cgp-title'>{e(title)}</div><div class='cgp-sub'>{e(summary)}. "
        f"Step with the arrow keys, the buttons or the slider; red arrows carry gradients backwards.</div></div>"
        f"<div class='cgp-controls'>"
        f"<button type='button' class='cgp-first' title='first step (Home)' aria-label='first step'>&#x21E4;</button>"
        f"<button type='button' class='cgp-prev' title='previous step (left arrow)' aria-label='previous step'>"
        f"&#x25C0;</button>"
        f"<button type='button' class='cgp-play' title='play (space)' aria-label='play'>"
        f"&#x25B6; play</button>"
        f"<button type='button' class='cgp-next' title='next step (right arrow)' aria-label='next step'>"
        f"&#x25B6;</button>"
        f"<button type='button' class='cgp-last' title='last step (End)' aria-label='last step'>&#x21E5;</button>"
        f"<input type='range' class='cgp-slider' min='1' max='{max(len(report.steps), 1)}' value='1' "
        f"aria-label='step'>"
        f"<span class='cgp-count'>1 / {len(report.steps)}</span>"
        f"<label class='cgp-opt'>speed <select class='cgp-speed' aria-label='speed'><option value='0.5'>0.5&#xD7;"
        f"</option><option value='1' selected>1&#xD7;</option><option value='2'>2&#xD7;</option>"
        f"<option value='4'>4&#xD7;</option></select></label>"
        f"<label class='cgp-opt'><input type='checkbox' class='cgp-mode'> forward pass first</label>"
        f"</div>"
        f"<div class='cgp-graphbox'><div class='cgp-gtools'><button type='button' class='cgp-zout' "
        f"aria-label='zoom out'>&#x2212;</button><button type='button' class='cgp-zin' aria-label='zoom in'>+</button>"
        f"<button type='button' class='cgp-zfit'>fit</button><button type='button' class='cgp-back' hidden>"
        f"&#x2190; all modules</button><span class='cgp-vtitle'></span></div>"
        f"<div class='cgp-scroll'>{first}</div>{more}</div>"
        f"<div class='cgp-panel'><div class='cgp-step' aria-live='polite'></div>"
        f"<div class='cgp-side'><div class='cgp-leaves'></div></div></div>"
        f"{'' if standalone else _table(report)}"
        f"<script type='application/json' class='cgp-data'>{payload}</script>"
        f"<script>{_asset('page.js')}</script></div>")


def _table(report) -> str:
    return f"<details class='cgp-table'><summary>all steps as a table</summary>{report._table_html()}</details>"


def page_html(report) -> str:
    """A whole HTML document: opens from disk, needs no network."""
    title = html.escape(f"chaingrad: backward pass of {report.output_name}")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title}</title><style>{_asset('page.css')}</style></head><body>"
            f"{page_fragment(report, standalone=True)}</body></html>\n")


def save_page(report, path: str) -> str:
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page_html(report))
    return path


__all__ = ["page_html", "page_fragment", "save_page"]
