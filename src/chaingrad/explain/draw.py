"""``chaingrad.draw(output)``: the computational graph as a picture (PNG/SVG with matplotlib) or DOT text.

One box per tensor (name, shape, value when small, gradient when known) and one oval per op, arrows in
the direction data flows. This file turns the recorded graph into boxes and arrows (and summarizes big
graphs: chains of one-input ops become one box, constants are folded away, and if that is not enough,
ops are grouped into stages that list how many ops of each kind they hold); layout.py places them and
render.py draws them.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field

import numpy as np

from ..tensor import Tensor
from ._graph import GraphView, caller_frame, fmt_array, fmt_number, fmt_shape, is_scalar_const, observe_backward
from .layout import layout
from .render import STYLES, render


@dataclass
class DrawNode:
    id: str
    kind: str              # a STYLES key
    shape: str             # "box" or "oval"
    lines: list            # text lines; the first is the title
    grad_line: int = -1    # index of the line that shows a gradient (drawn in red), -1 for none
    w: float = 0.0
    h: float = 0.0
    x: float = 0.0
    y: float = 0.0


@dataclass
class GraphPicture:
    """A drawn graph: ``nodes``/``edges`` as data, ``save(path)``, ``to_dot()``, and Jupyter display."""

    nodes: list
    edges: list  # (source id, target id, label)
    title: str = ""
    direction: str = "LR"
    summary: str = ""  # how the graph was summarized ("" when drawn in full)
    _fig_cache: dict = field(default_factory=dict, repr=False)

    @property
    def summarized(self) -> bool:
        return bool(self.summary)

    # -- DOT ------------------------------------------------------------------------------------------
    def to_dot(self) -> str:
        out = ["digraph chaingrad {", f"  rankdir={self.direction};",
               '  node [fontname="monospace", fontsize=10];', '  edge [color="#555555"];']
        if self.title:
            out.append(f'  label="{_dot_escape(self.title)}"; labelloc=t;')
        for n in self.nodes:
            fill, edge = STYLES[n.kind]
            shape = "ellipse" if n.shape == "oval" else "box"
            style = '"filled"' if n.shape == "oval" else '"rounded,filled"'
            label = "\\n".join(_dot_escape(line) for line in n.lines)
            out.append(f'  {n.id} [shape={shape}, style={style}, fillcolor="{fill}", color="{edge}", '
                       f'label="{label}"];')
        for a, b, label in self.edges:
            out.append(f'  {a} -> {b}' + (f' [label="{_dot_escape(label)}"];' if label else ";"))
        out.append("}")
        return "\n".join(out) + "\n"

    # -- pictures --------------------------------------------------------------------------------------
    def figure(self):
        """A matplotlib Figure of the graph."""
        return render(self)

    def save(self, path: str, format: str | None = None) -> str:
        """Write the picture: ``format`` (or the file's extension) png, svg, pdf or dot."""
        fmt = (format or os.path.splitext(path)[1].lstrip(".") or "png").lower()
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if fmt in ("dot", "gv"):
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.to_dot())
            return path
        with open(path, "wb") as f:
            f.write(self._bytes(fmt))
        return path

    def _bytes(self, fmt: str) -> bytes:
        if fmt not in self._fig_cache:
            import matplotlib.pyplot as plt

            fig = self.figure()
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=150 if fmt == "png" else None)
            plt.close(fig)
            self._fig_cache[fmt] = buf.getvalue()
        return self._fig_cache[fmt]

    def _repr_png_(self) -> bytes:
        return self._bytes("png")

    def _repr_svg_(self) -> str:
        return self._bytes("svg").decode("utf-8")

    def __repr__(self) -> str:
        ops = sum(1 for n in self.nodes if n.shape == "oval")
        extra = f", {self.summary}" if self.summary else ""
        return f"<chaingrad graph: {len(self.nodes) - ops} tensor boxes, {ops} op nodes{extra}>"


def _dot_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


# -- from the recorded graph to boxes and arrows ---------------------------------------------------------
def draw(output: Tensor, path: str | None = None, *, format: str | None = None, grads: bool | None = None,
         max_nodes: int = 60, direction: str | None = None, max_values: int = 6,
         title: str | None = None) -> GraphPicture:
    """Draw the graph that computed ``output``; save it to ``path`` (png, svg, pdf or dot) if given.

    ``grads``: None shows the ``.grad`` that leaves (and ``retain_grad()`` tensors) already have; True computes
    the gradient of every tensor without changing any ``.grad`` (the graph must not be freed yet); False
    shows none. Graphs with more than ``max_nodes`` boxes are summarized. ``direction`` is "LR" (left to
    right) or "TB" (top to bottom); by default LR, and TB for long summarized graphs. ``format`` overrides the
    file extension of ``path``; ``.to_dot()`` gives the DOT text.
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"draw(output): output must be a Tensor, got {type(output).__name__}")
    if direction not in (None, "LR", "TB"):
        raise ValueError(f"draw(): direction must be 'LR' or 'TB', got {direction!r}")
    view = GraphView([output], caller_frame())
    computed = _all_grads(view, output) if grads else {}
    root = view.info_of(output)
    pic = _build(view, computed, grads, max_values)
    pic.direction = direction or "LR"
    pic.title = title if title is not None else f"Computational graph of {root.name if root else 'output'}"
    if _box_count(pic) > max_nodes:
        pic = _summarize(view, pic, max_nodes, computed, grads, max_values)
    layout(pic)
    if direction is None and pic.summary and max(n.x + n.w / 2 for n in pic.nodes) > 16:
        pic.direction = "TB"  # a long summarized chain reads better downwards
        layout(pic)
    if path is not None:
        pic.save(path, format)
    return pic


def _box_count(pic: GraphPicture) -> int:
    return len(pic.nodes)


def _all_grads(view: GraphView, output: Tensor) -> dict:
    """The gradient of every tensor of the graph, by key, from one engine run that touches no ``.grad``."""
    gradient = None if output._data.size == 1 else Tensor._wrap(np.ones(output._data.shape, output._data.dtype))
    root = view.info_of(output)
    grads: dict = {} if root is None else {root.key: np.ones(output._data.shape, output._data.dtype)}

    def observer(node, grads_out, raw, final):
        info = view.op_of.get(node)
        if info is None:
            return
        for ti, g in zip(info.inputs, final):
            if ti is not None and g is not None and ti.kind != "const":
                grads[ti.key] = g if ti.key not in grads else grads[ti.key] + g

    observe_backward(view, output, gradient, observer, (
        "draw(output, grads=True) needs the recorded graph, but backward() already freed it; draw before "
        "backward, use backward(retain_graph=True), or draw with grads=None to show the leaves' .grad"))
    return grads


def _tensor_lines(ti, computed: dict, grads, max_values: int) -> tuple[list, int]:
    lines = [ti.name, ("scalar" if ti.shape == () else fmt_shape(ti.shape)) if ti.shape is not None else "[?]"]
    if ti.value is not None and ti.value.size <= max_values:
        lines.append("= " + fmt_array(ti.value, max_values))
    elif ti.value is not None and ti.value.size <= 10_000 and ti.value.dtype.kind == "f":
        f = ti.value
        lines.append(f"values in [{_num(f.min())}, {_num(f.max())}]")
    g = None
    if grads is not False:
        if ti.key in computed:
            g = computed[ti.key]
        elif ti.tensor is not None and ti.tensor._grad is not None and (ti.kind == "leaf" or ti.tensor._retains_grad):
            g = ti.tensor._grad._data
    if g is not None:
        if g.size <= max_values:
            lines.append("grad " + fmt_array(g, max_values))
        else:
            lines.append(f"grad in [{_num(g.min())}, {_num(g.max())}]")
        return lines, len(lines) - 1
    return lines, -1


def _num(v) -> str:
    return fmt_number(v)


def _build(view: GraphView, computed: dict, grads, max_values: int) -> GraphPicture:
    nodes, edges, ids = [], [], {}

    def tensor_node(ti):
        if ti.key in ids:
            return ids[ti.key]
        nid = f"t{len(ids)}"
        ids[ti.key] = nid
        lines, gl = _tensor_lines(ti, computed, grads, max_values)
        nodes.append(DrawNode(nid, ti.kind, "box", lines, gl))
        return nid

    for k, info in enumerate(reversed(view.ops)):  # forward order reads better in DOT text
        oid = f"op{k}"
        sym = info.symbol
        nodes.append(DrawNode(oid, "op", "oval", [sym, info.op] if sym != info.op.lower() else [info.op]))
        seen = set()
        for ti in info.inputs:
            if ti is None or is_scalar_const(ti):
                continue
            nid = tensor_node(ti)
            if (nid, oid) not in seen:
                seen.add((nid, oid))
                edges.append((nid, oid, ""))
        for ti in info.outputs:
            if ti is not None:
                edges.append((oid, tensor_node(ti), ""))
    for r in view.roots:
        ti = view.info_of(r)
        if ti is not None:
            tensor_node(ti)
    return GraphPicture(nodes, edges)


# -- summaries for big graphs ---------------------------------------------------------------------------
def _summarize(view, full: GraphPicture, max_nodes: int, computed, grads, max_values) -> GraphPicture:
    """Fold constants away and collapse chains; if still too big, group ops into stages."""
    pic = _collapse_chains(full)
    if len(pic.nodes) <= max_nodes:
        n_ops = sum(1 for n in full.nodes if n.shape == "oval")
        pic.summary = f"summarized: {n_ops} ops; constants hidden, chains of one-input ops collapsed"
        return pic
    return _stages(view, full, max_nodes)


def _collapse_chains(pic: GraphPicture) -> GraphPicture:
    byid = {n.id: n for n in pic.nodes}
    drop = {n.id for n in pic.nodes if n.kind == "const"}
    edges = [(a, b, lab) for a, b, lab in pic.edges if a not in drop and b not in drop]
    succ, pred = {}, {}
    for a, b, _ in edges:
        succ.setdefault(a, []).append(b)
        pred.setdefault(b, []).append(a)
    # an op whose single input is an intermediate that only it reads continues the chain of the op before
    merged_into: dict = {}
    chains: dict = {}
    for n in pic.nodes:  # nodes are in forward order
        if n.shape != "oval" or n.id in drop:
            continue
        ins = pred.get(n.id, [])
        if len(ins) == 1 and byid[ins[0]].kind == "inter" and len(succ.get(ins[0], [])) == 1:
            prev_op = pred.get(ins[0], [None])[0]
            if prev_op is not None and len(succ.get(prev_op, [])) == 1:
                head = merged_into.get(prev_op, prev_op)
                merged_into[n.id] = head
                merged_into[ins[0]] = head
                chains.setdefault(head, [byid[head].lines[-1]]).append(n.lines[-1])
    nodes = []
    for n in pic.nodes:
        if n.id in drop or n.id in merged_into:
            continue
        if n.id in chains:
            ops = chains[n.id]
            if len(ops) <= 3:
                text = " > ".join(ops)
            else:
                counts = {}
                for op in ops:
                    counts[op] = counts.get(op, 0) + 1
                text = ", ".join(f"{k} {op}" for op, k in counts.items())
            nodes.append(DrawNode(n.id, "group", "oval", [f"chain of {len(ops)} ops", text]))
        else:
            nodes.append(DrawNode(n.id, n.kind, n.shape, list(n.lines), n.grad_line))
    new_edges, seen = [], set()
    for a, b, lab in edges:
        a2, b2 = merged_into.get(a, a), merged_into.get(b, b)
        if a2 == b2 or (a2, b2) in seen:
            continue
        # an edge into a merged op comes out of the chain's last output: keep only edges that leave the chain
        if b in merged_into and a in merged_into:
            continue
        seen.add((a2, b2))
        new_edges.append((a2, b2, lab))
    # the last tensor of a chain is produced by the chain head
    return GraphPicture(nodes, new_edges, pic.title, pic.direction)


def _module_groups(ops: list) -> dict | None:
    """op -> module prefix (``model.fc1.weight`` -> ``model.fc1``) when parameters have dotted names; ops
    without parameters join the group of their most recent input."""
    group = {}
    any_dotted = False
    for info in ops:
        prefixes = [ti.name.rsplit(".", 1)[0] for ti in info.inputs
                    if ti is not None and ti.kind == "leaf" and ti.named and "." in ti.name]
        if prefixes:
            any_dotted = True
            group[info.node] = prefixes[0]
            continue
        prev = [ti.key[1] for ti in info.inputs if ti is not None and ti.key[0] == "out"]
        group[info.node] = group[max(prev, key=lambda n: n._seq)] if prev else "inputs"
    return group if any_dotted else None


def _stages(view: GraphView, full: GraphPicture, max_nodes: int) -> GraphPicture:
    """One box per module (parameters named ``fc1.weight`` ...) or, without such names, per stage of depth,
    each listing how many ops of each kind it holds; leaves grouped by name prefix."""
    ops = list(reversed(view.ops))  # forward order
    modules = _module_groups(ops)
    if modules is not None:
        labels = list(dict.fromkeys(modules[info.node] for info in ops))
        stage_of = {n: labels.index(g) for n, g in modules.items()}
        titles = labels
    else:
        depth = {}
        for info in ops:
            d = 0
            for ti in info.inputs:
                if ti is not None and ti.key[0] == "out":
                    d = max(d, depth.get(ti.key[1], 0) + 1)
            depth[info.node] = d
        max_d = max(depth.values(), default=0)
        n_stages = max(1, min(12, max_nodes // 3, max_d + 1))
        stage_of = {n: min(n_stages - 1, d * n_stages // (max_d + 1)) for n, d in depth.items()}
        titles = [f"stage {k + 1}" for k in range(n_stages)]
    counts = [dict() for _ in titles]
    for info in ops:
        c = counts[stage_of[info.node]]
        c[info.op] = c.get(info.op, 0) + 1
    nodes, edges = [], {}
    for s, c in enumerate(counts):
        if not c:
            continue
        lines = [f"{titles[s]}: {sum(c.values())} op{'s' if sum(c.values()) > 1 else ''}"]
        row = []
        for op, k in c.items():
            row.append(f"{k} {op}")
            if len(row) == 3:
                lines.append(", ".join(row))
                row = []
        if row:
            lines.append(", ".join(row))
        nodes.append(DrawNode(f"s{s}", "group", "box", lines[:6]))
    groups: dict = {}
    for info in ops:
        for ti in info.inputs:
            if ti is None or ti.kind != "leaf":
                continue
            if modules is not None and ti.named and "." in ti.name:
                prefix = ti.name.rsplit(".", 1)[0]
            else:
                prefix = ti.name.split(".")[0].split("[")[0] if ti.named else "leaves"
            g = groups.setdefault(prefix, {"names": [], "size": 0, "keys": set(), "stages": {}})
            if ti.key not in g["keys"]:
                g["keys"].add(ti.key)
                g["names"].append(ti.name[len(prefix) + 1:] if ti.name.startswith(prefix + ".") else ti.name)
                g["size"] += int(np.prod(ti.shape)) if ti.shape else 1
            st = stage_of[info.node]
            g["stages"][st] = g["stages"].get(st, 0) + 1
    byid = {n.id: n for n in nodes}
    for prefix, g in groups.items():
        names = g["names"]
        shown = ", ".join(names) if len(", ".join(names)) <= 34 else ", ".join(names[:3]) + ", ..."
        n = len(names)
        text = f"params {shown} ({g['size']} values)" if len(shown) < 24 else f"{n} params, {g['size']} values"
        if modules is not None and prefix in titles and len(g["stages"]) == 1:
            byid[f"s{titles.index(prefix)}"].lines.append(text)  # the module's own parameters: in its box
            continue
        nodes.append(DrawNode(f"g_{_ident(prefix)}", "leaf", "box",
                              [prefix, f"{n} tensor{'s' if n > 1 else ''}, {g['size']} values", shown]))
        for st, k in g["stages"].items():
            edges[(f"g_{_ident(prefix)}", f"s{st}")] = k
    for info in ops:
        for ti in info.inputs:
            if ti is not None and ti.key[0] == "out":
                a, b = stage_of[ti.key[1]], stage_of[info.node]
                if a != b:
                    e = (f"s{a}", f"s{b}")
                    edges[e] = edges.get(e, 0) + 1
    root = view.info_of(view.roots[0])
    if root is not None and root.key[0] == "out":
        nodes.append(DrawNode("out", "output", "box", [root.name, fmt_shape(root.shape)]))
        edges[(f"s{stage_of[root.key[1]]}", "out")] = 1
    edge_list = [(a, b, str(k) if k > 1 else "") for (a, b), k in edges.items()]
    kind = "modules" if modules is not None else "stages"
    summary = f"summarized: {len(ops)} ops grouped into {sum(1 for c in counts if c)} {kind}"
    return GraphPicture(nodes, edge_list, full.title, full.direction, summary)


def _ident(s: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in s)
