"""``chaingrad.explain(output)``: the backward pass as a table, one step per recorded op.

Each step shows the op, the tensors it connects, the derivative formula the op carries beside its
backward code, the gradient arriving from above and the gradient it sends to each input. Where the engine
summed a gradient over broadcast dimensions, that is a step of its own. The numbers come from running the
real engine (nothing is re-derived here), without touching any ``.grad``.
"""

from __future__ import annotations

import html
import itertools
import re
import textwrap
from dataclasses import dataclass, field

import numpy as np

from ..tensor import Tensor
from ._graph import GraphView, caller_frame, fmt_array, fmt_shape, observe_backward, summed_dims
from .numbers import number_formula


@dataclass
class Step:
    """One step of the backward pass, as data.

    ``kind`` is ``"op"`` (a node's backward ran) or ``"unbroadcast"`` (the engine summed a gradient over
    the dims broadcasting had added). ``grads_in[i]`` is what went to ``inputs[i]`` (None: no gradient).
    """

    index: int
    kind: str
    op: str
    node_name: str
    output: str
    output_shape: tuple
    inputs: list[str]
    input_shapes: list[tuple]
    input_letters: list[str]
    input_is_const: list[bool]
    formulas: list[str]
    formulas_named: list[str]
    grad_out: np.ndarray
    grads_in: list
    summed_dims: tuple = ()
    node: object = field(default=None, repr=False)
    #: the formulas with the numbers put in (``dL/dw = [[1], [2], [3]]^T @ [[-1.5], ...] = [[-21]]``), "" where the
    #: formula is in words, an operand is too big to show, or it uses no forward value
    formulas_numeric: list = field(default_factory=list)
    input_values: list = field(default_factory=list, repr=False)  # forward values of the inputs (None: not kept)
    output_value: np.ndarray | None = field(default=None, repr=False)  # forward value of the output (None: not kept)

    @property
    def label(self) -> str:
        return str(self.index)


@dataclass
class LeafGrad:
    name: str
    shape: tuple
    grad: np.ndarray | None
    tensor: Tensor = field(repr=False, default=None)


class Report:
    """What ``explain`` returns: ``steps`` (data), ``leaf_grads``, ``str()`` a table, ``_repr_html_()``."""

    def __init__(self, output_name: str, output_value, steps: list[Step], leaf_grads: list[LeafGrad],
                 max_values: int) -> None:
        self.output_name = output_name
        self.output_value = output_value
        self.steps = steps
        self.leaf_grads = leaf_grads
        self.max_values = max_values
        self.graph = None  # the GraphView the steps were read from (for the stepping page)

    def grad(self, name_or_tensor) -> np.ndarray | None:
        """The final gradient of a leaf, by name or by tensor."""
        for lg in self.leaf_grads:
            if lg.tensor is name_or_tensor or (isinstance(name_or_tensor, str) and lg.name == name_or_tensor):
                return lg.grad
        raise KeyError(f"no leaf named {name_or_tensor!r} in this report; leaves: "
                       f"{[lg.name for lg in self.leaf_grads]}")

    def sent_to(self, name: str) -> np.ndarray | None:
        """The gradient sent to the tensor called ``name`` (summed over all steps that sent one)."""
        total = None
        for s in self.steps:
            if s.kind == "unbroadcast":
                continue
            for nm, g in zip(s.inputs, s.grads_in):
                if nm == name and g is not None:
                    unb = self._unbroadcast_after(s, nm)
                    g = unb if unb is not None else g
                    total = g if total is None else total + g
        return total

    def _unbroadcast_after(self, step: Step, name: str):
        i = self.steps.index(step)
        for s in self.steps[i + 1:]:
            if s.kind != "unbroadcast" or s.node is not step.node:
                break
            if s.output == name:
                return s.grads_in[0]
        return None

    # -- text -------------------------------------------------------------------------------------------
    def _rows(self, max_values: int) -> list:
        """Table rows (#, op, tensor, shape, chain rule, value); None separates steps."""
        rows = []
        for s in self.steps:
            if s.kind == "unbroadcast":
                dims = ", ".join(map(str, s.summed_dims))
                rows.append((f"{s.index}", "sum over broadcast dims", f"in:  {s.output}",
                             f"{fmt_shape(s.output_shape)} -> {fmt_shape(s.input_shapes[0])}",
                             f"dL/d{_paren(s.output)} = dL/d(broadcast {s.output}) summed over dim"
                             f"{'s' if len(s.summed_dims) > 1 else ''} {dims}",
                             fmt_array(s.grads_in[0], max_values)))
                rows.append(None)
                continue
            rows.append((f"{s.index}", s.op, f"out: {s.output}" + _value_text(s.output_value, max_values),
                         fmt_shape(s.output_shape), f"upstream: dL/d{_paren(s.output)}",
                         fmt_array(s.grad_out, max_values)))
            numeric = s.formulas_numeric or [""] * len(s.inputs)
            values = s.input_values or [None] * len(s.inputs)
            for name, shape, letter, const, f, fn, g, nf, v in zip(s.inputs, s.input_shapes, s.input_letters,
                                                                s.input_is_const, s.formulas, s.formulas_named,
                                                                s.grads_in, numeric, values):
                value = _value_text(v, max_values)
                if value == f" = {name}":  # a number operand is named by its value: say it once
                    value = ""
                binding = (f"{letter} = {name}" if letter != name else name) + value
                if const or g is None:
                    rows.append(("", "", f"in:  {binding}" + (" (constant)" if const else ""), fmt_shape(shape),
                                 "", "no gradient needed"))
                    continue
                rows.append(("", "", f"in:  {binding}", fmt_shape(shape), f, fmt_array(g, max_values)))
                if fn and fn != f:
                    rows.append(("", "", "", "", "  = " + fn.split("=", 1)[1].strip() if "=" in fn else fn, ""))
                if nf:
                    rows.append(("", "", "", "", "  = " + nf.split("=", 1)[1].strip(), ""))
            rows.append(None)
        return rows

    def to_text(self, max_values: int | None = None) -> str:
        mv = self.max_values if max_values is None else max_values
        head = ("#", "op", "tensor", "shape", "chain rule: the op's local derivative", "gradient")
        caps = (4, 14, 46, 20, 60, 10 ** 6)  # long cells wrap onto continuation lines
        lines: list = []
        for r in self._rows(mv):
            if r is None:
                lines.append(None)
                continue
            wrapped = [textwrap.wrap(c, cap, subsequent_indent="" if j == 1 else "    ", break_on_hyphens=False)
                       or [""] if len(c) > cap else [c] for j, (c, cap) in enumerate(zip(r, caps))]
            lines.extend(itertools.zip_longest(*wrapped, fillvalue=""))
        widths = [len(h) for h in head]
        for r in lines:
            if r is not None:
                widths = [max(w, len(c)) for w, c in zip(widths, r)]

        def line(cells):
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

        out = [f"Backward pass from {self.output_name} = {fmt_array(self.output_value, mv)}   "
               f"(L = {self.output_name}; dL/dout is the gradient arriving at an op's output)", "",
               line(head), line(tuple("-" * w for w in widths[:-1]) + ("-" * 30,))]
        for r in lines:
            out.append("" if r is None else line(r))
        while out and not out[-1]:
            out.pop()
        out += ["", "Leaf gradients (what .backward() adds to .grad):"]
        nw = max((len(_paren(lg.name)) for lg in self.leaf_grads), default=4)
        for lg in self.leaf_grads:
            g = "None (not reached)" if lg.grad is None else fmt_array(lg.grad, mv)
            out.append(f"  dL/d{_paren(lg.name).ljust(nw)}  {fmt_shape(lg.shape):<10} {g}")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<chaingrad.explain report: {len(self.steps)} steps from {self.output_name}>\n" + self.to_text()

    def save(self, path: str) -> str:
        """Write the backward pass as one HTML page that steps through it on the graph (opens from disk)."""
        from .page import save_page

        return save_page(self, path)

    def _repr_html_(self) -> str:
        """In Jupyter: the same stepper as the saved page, inline (the table is under it)."""
        from .page import page_fragment

        return page_fragment(self) if self.graph is not None else self._table_html()

    def _table_html(self) -> str:
        e = html.escape
        css = ("<style>.cg-explain td,.cg-explain th{padding:2px 8px;text-align:left;vertical-align:top;"
               "font-family:monospace;font-size:12px}.cg-explain tr.cg-op td{border-top:1px solid #bbb}"
               ".cg-explain .cg-grad{color:#b03000}.cg-explain .cg-ub td{background:#fff4d6}</style>")
        parts = [css, f"<div class='cg-explain'><p><b>Backward pass from {e(self.output_name)}</b> = "
                      f"{e(fmt_array(self.output_value, self.max_values))}</p><table>",
                 "<tr><th>#</th><th>op</th><th>tensor</th><th>shape</th><th>chain rule</th><th>gradient</th></tr>"]
        first = True
        for r in self._rows(self.max_values):
            if r is None:
                first = True
                continue
            cls = "cg-op" if first else ""
            if first and r[1] == "sum over broadcast dims":
                cls += " cg-ub"
            first = False
            parts.append(f"<tr class='{cls}'>" + "".join(
                f"<td class='cg-grad'>{e(c)}</td>" if j == 5 else f"<td>{e(c)}</td>" for j, c in enumerate(r))
                + "</tr>")
        parts.append("</table><p><b>Leaf gradients</b></p><table>")
        for lg in self.leaf_grads:
            g = "None" if lg.grad is None else fmt_array(lg.grad, self.max_values)
            parts.append(f"<tr><td>dL/d{e(lg.name)}</td><td>{e(fmt_shape(lg.shape))}</td>"
                         f"<td class='cg-grad'>{e(g)}</td></tr>")
        parts.append("</table></div>")
        return "".join(parts)


def _value_text(value, max_values: int) -> str:
    """`` = [[0.5], [1]]`` for a forward value small enough to read in a table cell, else nothing."""
    if value is None or value.size > min(max_values, 4):
        return ""
    return " = " + fmt_array(value, max_values)


def name_formula(text: str, letters: dict) -> str:
    """Put the tensors' names into a formula: ``dL/dB = A^T @ dL/dout`` -> ``dL/dw = x^T @ dL/d(x @ w)``."""
    if not text or not letters:
        return text

    def sub(m):
        if m.group(1) is not None:
            nm = letters.get(m.group(1))
            return m.group(0) if nm is None else "dL/d" + _paren(nm)
        word = m.group(2)
        return _paren(letters[word]) if word in letters else word

    return _TOKEN.sub(sub, text)


_TOKEN = re.compile(r"dL/d([A-Za-z_]\w*)|(?<![\w'])([A-Za-z_]\w*)(?![\w'(])")


def _paren(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][\w.\[\]]*|[\d.]+", name) else f"({name})"


def explain(output: Tensor, gradient: Tensor | None = None, *, max_values: int = 8) -> Report:
    """Trace the backward pass from ``output`` step by step; no ``.grad`` changes.

    ``gradient`` is the starting gradient for a non-scalar output (as in ``output.backward(gradient)``).
    Tensors of at most ``max_values`` elements are shown in full, larger ones summarized.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"explain(output): output must be a Tensor, got {type(output).__name__}")
    if not output.requires_grad:
        raise RuntimeError("explain(output): the output does not require grad, so there is no backward pass to show; "
                           "create the leaves with requires_grad=True and compute the output outside no_grad()")
    view = GraphView([output], caller_frame())
    root = view.info_of(output)
    leaves = view.leaves()
    steps: list[Step] = []

    def observer(node, grads_out, raw, final):  # arrays: what reached the node, what it returned, fitted
        info = view.op_of.get(node)
        if info is None:
            return
        out_ti = next((o for o in info.outputs if o is not None), None)
        gout = grads_out[0] if len(grads_out) == 1 else next((g for g in grads_out if g is not None), None)
        ins = [ti for ti in info.inputs]
        idx = [i for i, ti in enumerate(ins) if ti is not None]
        letters = {info.input_letter(i): ins[i].name for i in idx}
        if out_ti is not None:
            letters["out"] = out_ti.name
        values = {"dL/dout": fmt_array(gout, max_values)} if gout is not None else {}
        for i in idx:
            v = ins[i].value
            if v is not None and v.size <= max_values:
                values[info.input_letter(i)] = fmt_array(v, max_values)
        if out_ti is not None and out_ti.value is not None and out_ti.value.size <= max_values:
            values["out"] = fmt_array(out_ti.value, max_values)
        formulas = [info.formula(i) for i in idx]
        named = [name_formula(f, letters) for f in formulas]
        numeric = []
        for k, i in enumerate(idx):
            nf = number_formula(formulas[k], values) if raw[i] is not None and ins[i].kind != "const" else None
            numeric.append("" if nf is None else
                           f"{named[k].split('=', 1)[0].strip()} = {nf} = {fmt_array(raw[i], max_values)}")
        step = Step(len(steps) + 1, "op", info.op, node.name(), out_ti.name if out_ti else "?",
                    out_ti.shape if out_ti else (), [ins[i].name for i in idx], [ins[i].shape for i in idx],
                    [info.input_letter(i) for i in idx], [ins[i].kind == "const" for i in idx], formulas, named,
                    None if gout is None else gout.copy(),
                    [None if raw[i] is None or ins[i].kind == "const" else raw[i].copy() for i in idx],
                    node=node, formulas_numeric=numeric, input_values=[ins[i].value for i in idx],
                    output_value=None if out_ti is None else out_ti.value)
        steps.append(step)
        for i in idx:
            r, f = raw[i], final[i]
            if r is None or f is None or r.shape == f.shape:
                continue
            name = ins[i].name
            steps.append(Step(len(steps) + 1, "unbroadcast", "sum over broadcast dims", "(engine)", name,
                              r.shape, [name], [f.shape], [name], [False],
                              ["sum over the broadcast dims"], [""], r.copy(), [f.copy()],
                              summed_dims=summed_dims(r.shape, f.shape), node=node))

    captured = observe_backward(view, output, gradient, observer, (
        "explain(output) needs the recorded graph, but backward() already freed its saved values. Call "
        "explain before backward, or backward with retain_graph=True."))
    leaf_grads = [LeafGrad(ti.name, ti.shape, None if g is None else np.array(g, copy=True), ti.tensor)
                  for ti, g in zip(leaves, captured)]
    name = root.name if root is not None else "output"
    report = Report(name, output._data.copy(), steps, leaf_grads, max_values)
    report.graph = view
    return report
