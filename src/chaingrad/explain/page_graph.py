"""The stepping page's graph: the recorded graph as boxes and arrows placed by ``draw``'s layout, drawn as
inline SVG. Modules (parameters named ``net.3.weight``) or, in big graphs, stages of depth are collapsed
into boxes that open on click; long chains of one-input ops are folded into one box, as ``draw`` does.

Each *view* is one picture: the overview, or the overview with one group opened. A view maps every op
(numbered in forward order) and every tensor to the element that shows it, so the page can light up the
current step wherever it sits.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from ._graph import OP_SYMBOLS, GraphView, is_scalar_const
from .draw import DrawNode, GraphPicture
from .layout import LINE_H
from .render import STYLES

#: a view with more boxes than this folds chains of one-input ops, then groups ops into stages
MAX_BOXES = 80
#: a graph whose parameters belong to modules starts with its modules collapsed from this many boxes on
GROUP_MODULES_AT = 30
PX = 96.0  # pixels per inch of draw's layout
#: big graphs without modules: stages of about this many ops, so that an opened stage lays out quickly
OPS_PER_STAGE = 24
MAX_STAGES = 40
#: a parameter read in more collapsed boxes than this gets no arrows to them (the boxes list it)
SHARED_LEAF_EDGES = 3


# -- draw's layout: the one place this file reads draw's internals ------------------------------------------
def place(nodes: list, edges: list, direction: str = "LR") -> GraphPicture:
    """Sizes and positions (inches) for ``nodes`` and a route for each edge, by draw's layered layout."""
    from .layout import layout

    pic = GraphPicture(nodes, edges, direction=direction)
    layout(pic)
    return pic


def module_of_ops(ops: list) -> dict | None:
    """op -> module name, when parameters carry dotted names (draw's grouping rule); None otherwise."""
    from .draw import _module_groups

    return _module_groups(ops)


def tensor_lines(ti, grads: dict, max_values: int) -> list:
    """A tensor box's text lines (name, shape, value, gradient), as draw writes them."""
    from .draw import _tensor_lines

    return _tensor_lines(ti, grads, True, max_values)[0]


# -- the graph, numbered --------------------------------------------------------------------------------
class Numbered:
    """The ops of a GraphView in forward order and its tensors, each with a number."""

    def __init__(self, view: GraphView) -> None:
        self.view = view
        self.ops = list(reversed(view.ops))  # forward order
        self.op_no = {info.node: k for k, info in enumerate(self.ops)}
        self.tensors: list = []
        self.tensor_no: dict = {}
        self.producer: dict = {}   # tensor number -> op number
        self.consumers: dict = {}  # tensor number -> [op numbers]
        self.inputs: list = []     # op number -> [tensor number or None] per input slot
        self.outputs: list = []    # op number -> [tensor numbers]
        for k, info in enumerate(self.ops):
            ins = []
            for ti in info.inputs:
                if ti is None:
                    ins.append(None)
                    continue
                j = self._number(ti)
                ins.append(j)
                if k not in self.consumers.setdefault(j, []):
                    self.consumers[j].append(k)
            self.inputs.append(ins)
            outs = []
            for ti in info.outputs:
                if ti is not None:
                    j = self._number(ti)
                    self.producer[j] = k
                    outs.append(j)
            self.outputs.append(outs)
        for r in view.roots:
            ti = view.info_of(r)
            if ti is not None:
                self._number(ti)

    def _number(self, ti) -> int:
        j = self.tensor_no.get(ti.key)
        if j is None:
            j = self.tensor_no[ti.key] = len(self.tensors)
            self.tensors.append(ti)
        return j

    def hidden(self, j: int) -> bool:
        """Scalar constants (the 0.5 of ``0.5 * x``) live in their op's label, not in a box."""
        return is_scalar_const(self.tensors[j])


@dataclass
class Group:
    """Ops collapsed into one box: a module, a stage, or a chain of one-input ops."""

    key: str
    title: str
    ops: list                 # op numbers, forward order
    kind: str = "group"       # "module", "stage" or "chain"

    @property
    def openable(self) -> bool:
        return self.kind != "chain"


@dataclass
class PageView:
    """One picture of the graph and where each op and tensor sits in it."""

    key: str                   # "" for the overview, else the key of the group it opens
    title: str
    pic: GraphPicture
    op_el: dict                # op number -> element id
    tensor_el: dict            # tensor number -> element id (its box, or the group box it hides in)
    opens: dict = field(default_factory=dict)  # element id -> key of the view it opens
    chains: dict = field(default_factory=dict)  # element id -> op numbers folded into it
    value_line: dict = field(default_factory=dict)  # element id -> index of the line showing the value
    grad_line: dict = field(default_factory=dict)   # element id -> index of the line showing the gradient
    members: list = field(default_factory=list)     # the op numbers of the group this view opens


def build_views(g: Numbered, grads: dict, max_values: int) -> list[PageView]:
    """The overview first, then one view per group that opens."""
    full_boxes = sum(1 for j in range(len(g.tensors)) if not g.hidden(j)) + len(g.ops)
    groups: list[Group] = []
    modules = module_of_ops(g.ops) if full_boxes > GROUP_MODULES_AT else None
    if modules is not None:
        by: dict = {}
        for k, info in enumerate(g.ops):
            by.setdefault(modules[info.node], []).append(k)
        groups = [Group(f"m{n}", name, ks, "module") for n, (name, ks) in enumerate(by.items())]
    elif full_boxes > MAX_BOXES:
        if len(_view(g, "", "", [], grads, max_values, chains=True, layout=False).pic.nodes) <= MAX_BOXES:
            return [_view(g, "", "", [], grads, max_values, chains=True)]
        groups = _stages(g)
    if not groups:
        return [_view(g, "", "", [], grads, max_values, chains=full_boxes > MAX_BOXES)]
    views = [_view(g, "", "", groups, grads, max_values)]
    for n, grp in enumerate(groups):
        if grp.openable and len(grp.ops) > 1:
            # modules: the others stay as boxes; stages: only the neighbours (a long graph lays out slowly)
            rest = [o for m, o in enumerate(groups) if o is not grp and (grp.kind == "module" or abs(m - n) == 1)]
            v = _view(g, grp.key, grp.title, rest, grads, max_values, chains=len(grp.ops) > MAX_BOXES // 2,
                      shown=grp.ops)
            v.members = list(grp.ops)
            views.append(v)
    return views


def _stages(g: Numbered) -> list[Group]:
    """Ops grouped by depth into stages of about OPS_PER_STAGE ops (at most MAX_STAGES). The depth of an op is
    as late as its consumers allow, so that an op reading only inputs (``x_t @ U`` in an unrolled RNN) sits
    beside its user."""
    depth = []
    for k in range(len(g.ops)):
        d = 0
        for j in g.inputs[k]:
            if j is not None and j in g.producer:
                d = max(d, depth[g.producer[j]] + 1)
        depth.append(d)
    top = max(depth, default=0)
    late = [top] * len(g.ops)
    for k in reversed(range(len(g.ops))):  # consumers come later in forward order
        users = [c for j in g.outputs[k] for c in g.consumers.get(j, [])]
        if users:
            late[k] = min(late[c] for c in users) - 1
    order = sorted(range(len(g.ops)), key=lambda k: (late[k], k))
    n = max(2, min(MAX_STAGES, -(-len(g.ops) // OPS_PER_STAGE)))
    per = -(-len(order) // n)
    groups = []
    for s in range(n):
        ks = sorted(order[s * per:(s + 1) * per])
        if ks:
            groups.append(Group(f"s{s}", f"stage {s + 1}", ks, "stage"))
    return groups


def _chains(g: Numbered, shown: list) -> list[Group]:
    """Runs of ops where each reads only the previous one's single output, which nobody else reads."""
    shown_set = set(shown)
    head_of: dict = {}
    chains: dict = {}
    for k in shown:
        data_ins = [j for j in g.inputs[k] if j is not None and g.tensors[j].kind != "const"]
        if len(data_ins) != 1 or data_ins[0] not in g.producer:
            continue
        j = data_ins[0]
        p = g.producer[j]
        if p not in shown_set or g.consumers.get(j) != [k] or len(g.outputs[p]) != 1 \
                or g.tensors[j].kind == "output":
            continue
        head = head_of.get(p, p)
        head_of[k] = head
        chains.setdefault(head, [head]).append(k)
    return [Group(f"c{head}", "", ks, "chain") for head, ks in chains.items()]


def _view(g: Numbered, key: str, title: str, collapsed: list, grads: dict, max_values: int,
          chains: bool = False, shown: list | None = None, layout: bool = True) -> PageView:
    """The ops of ``shown`` (default: all not in a group) in full, the ``collapsed`` groups as boxes, nothing else."""
    in_group = {k: grp for grp in collapsed for k in grp.ops}
    if shown is None:
        shown = [k for k in range(len(g.ops)) if k not in in_group]
    shown = list(shown)
    if chains:
        for ch in _chains(g, shown):
            collapsed = collapsed + [ch]
            for k in ch.ops:
                in_group[k] = ch
    nodes, edges, seen = [], [], set()
    op_el: dict = {}
    tensor_el: dict = {}
    view = PageView(key, title, None, op_el, tensor_el)

    for grp in collapsed:
        gid = f"g_{grp.key}"
        for k in grp.ops:
            op_el[k] = gid
        nodes.append(DrawNode(gid, "group", "oval" if grp.kind == "chain" else "box", _group_lines(g, grp)))
        if grp.kind == "chain":
            view.chains[gid] = grp.ops
        elif grp.openable and len(grp.ops) > 1:
            view.opens[gid] = grp.key
    for k in shown:
        if k in in_group:
            continue
        info = g.ops[k]
        op_el[k] = f"o{k}"
        sym = op_symbol(info)
        nodes.append(DrawNode(f"o{k}", "op", "oval", [sym, info.op] if sym != info.op.lower() else [info.op]))
    for j, ti in enumerate(g.tensors):
        if g.hidden(j) or (j in g.producer and g.producer[j] not in op_el) \
                or (j not in g.producer and not any(k in op_el for k in g.consumers.get(j, [0]))):
            continue  # made or read only by ops that this view leaves out
        if j in g.producer and g.producer[j] in in_group and ti.kind != "output":
            tensor_el[j] = op_el[g.producer[j]]  # an intermediate result inside a collapsed box
            continue
        users = {op_el[k] for k in g.consumers.get(j, []) if k in op_el}
        if j not in g.producer and users and all(k in in_group for k in g.consumers.get(j, []) if k in op_el) \
                and (len(users) == 1 or len(users) > SHARED_LEAF_EDGES):
            # a parameter or constant used only inside collapsed boxes (which list it): no box of its own
            tensor_el[j] = next(op_el[k] for k in g.consumers[j] if k in op_el)
            continue
        tid = f"t{j}"
        tensor_el[j] = tid
        lines = tensor_lines(ti, grads, max_values)
        nodes.append(DrawNode(tid, ti.kind, "box", lines))
        if len(lines) > 2 and not lines[2].startswith("grad"):
            view.value_line[tid] = 2
        if lines[-1].startswith("grad"):
            view.grad_line[tid] = len(lines) - 1
    for k in range(len(g.ops)):
        if k not in op_el:
            continue
        dst = op_el[k]
        for j in g.inputs[k]:
            if j is None or j not in tensor_el:
                continue
            src = tensor_el[j]
            if j not in g.producer and k in in_group and \
                    len({op_el[c] for c in g.consumers[j] if c in op_el}) > SHARED_LEAF_EDGES:
                continue  # a weight shared by many boxes (an RNN's W): the boxes list it, arrows would cross everything
            if src != dst and (src, dst) not in seen:
                seen.add((src, dst))
                edges.append((src, dst, ""))
        for j in g.outputs[k]:
            tid = tensor_el.get(j)
            if tid is not None and tid != dst and (dst, tid) not in seen:
                seen.add((dst, tid))
                edges.append((dst, tid, ""))
    view.pic = place(nodes, edges) if layout else GraphPicture(nodes, edges)
    return view


def op_symbol(info) -> str:
    """The op's label: draw's symbol, with a number operand folded in (``× 0.5``, ``x^2``)."""
    return info.symbol


def _group_lines(g: Numbered, grp: Group) -> list:
    counts: dict = {}
    for k in grp.ops:
        counts[g.ops[k].op] = counts.get(g.ops[k].op, 0) + 1
    if grp.kind == "chain":
        names = [OP_SYMBOLS.get(g.ops[k].op, g.ops[k].op) for k in grp.ops]
        text = " > ".join(names) if len(names) <= 3 else ", ".join(f"{n} {op}" for op, n in counts.items())
        return [f"chain of {len(grp.ops)} ops", _clip(text)]
    lines = [f"{grp.title}: {len(grp.ops)} op{'s' if len(grp.ops) > 1 else ''}"]
    row: list = []
    for op, n in counts.items():
        row.append(f"{n} {op}" if n > 1 else op)
        if len(row) == 3:
            lines.append(", ".join(row))
            row = []
    if row:
        lines.append(", ".join(row))
    params = []
    for k in grp.ops:
        for j in g.inputs[k]:
            if j is not None and g.tensors[j].kind == "leaf" and j not in g.producer:
                nm = g.tensors[j].name
                short = nm[len(grp.title) + 1:] if nm.startswith(grp.title + ".") else nm
                if short not in params:
                    params.append(short)
    if params:
        lines.append(_clip("params " + ", ".join(params)))
    if grp.openable and len(grp.ops) > 1:
        lines.append("(click to open)")
    return lines[:7]


def _clip(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[:n - 3] + "..."


# -- SVG ---------------------------------------------------------------------------------------------------
def svg(view: PageView, index: int, scope: str) -> str:
    """The view as an inline SVG element; nodes carry ``data-id``, edges ``data-a``/``data-b``. The one
    element id (the arrowhead marker) starts with ``scope``, so that pages on one document never clash."""
    pic = view.pic
    e = html.escape
    byid = {n.id: n for n in pic.nodes}
    if not pic.nodes:
        return "<svg class='cgp-svg' width='10' height='10'></svg>"
    x0 = min(n.x - n.w / 2 for n in pic.nodes) - 0.15
    y0 = min(n.y - n.h / 2 for n in pic.nodes) - 0.15
    x1 = max(n.x + n.w / 2 for n in pic.nodes) + 0.15
    y1 = max(n.y + n.h / 2 for n in pic.nodes) + 0.15
    W, H = (x1 - x0) * PX, (y1 - y0) * PX

    def p(x, y):
        return f"{(x - x0) * PX:.1f},{(y - y0) * PX:.1f}"

    out = [f"<svg class='cgp-svg' data-view='{index}' xmlns='http://www.w3.org/2000/svg' width='{W:.0f}' "
           f"height='{H:.0f}' viewBox='0 0 {W:.0f} {H:.0f}' role='img' aria-label='{e(view.title or 'graph')}'>",
           f"<defs><marker id='{scope}-arrow{index}' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' "
           "markerHeight='7' orient='auto-start-reverse'><path d='M0,0L10,5L0,10z' fill='context-stroke'/>"
           "</marker></defs>",
           "<g class='cgp-edges'>"]
    for k, (a, b, _) in enumerate(pic.edges):
        pts = list(pic._routes[k])
        na, nb = byid[a], byid[b]
        pts[0] = (na.x + na.w / 2, na.y)
        pts[-1] = (nb.x - nb.w / 2 - 0.03, nb.y)
        d = [f"M{p(*pts[0])}"]
        for (xa, ya), (xb, yb) in zip(pts, pts[1:]):
            dx = (xb - xa) / 2
            d.append(f"C{p(xa + dx, ya)} {p(xb - dx, yb)} {p(xb, yb)}")
        out.append(f"<path class='cgp-e' data-a='{a}' data-b='{b}' d='{''.join(d)}' "
                   f"marker-end='url(#{scope}-arrow{index})'/>")
    out.append("</g><g class='cgp-nodes'>")
    for n in pic.nodes:
        fill, stroke = STYLES[n.kind]
        cx, cy = (n.x - x0) * PX, (n.y - y0) * PX
        w, h = n.w * PX, n.h * PX
        attrs = f" data-id='{n.id}' data-kind='{n.kind}'"
        if n.id in view.opens:
            attrs += f" data-open='{e(view.opens[n.id])}' tabindex='0' role='button'"
        out.append(f"<g class='cgp-n cgp-{n.kind}'{attrs}>")
        if n.shape == "oval":
            out.append(f"<ellipse cx='{cx:.1f}' cy='{cy:.1f}' rx='{w / 2:.1f}' ry='{h / 2:.1f}' "
                       f"fill='{fill}' stroke='{stroke}'/>")
        else:
            out.append(f"<rect x='{cx - w / 2:.1f}' y='{cy - h / 2:.1f}' width='{w:.1f}' height='{h:.1f}' rx='6' "
                       f"fill='{fill}' stroke='{stroke}'/>")
        top = cy - (len(n.lines) - 1) * LINE_H * PX / 2
        for i, line in enumerate(n.lines):
            cls = "cgp-t0" if i == 0 else "cgp-t"
            if view.grad_line.get(n.id) == i:
                cls += " cgp-gl"
            if view.value_line.get(n.id) == i:
                cls += " cgp-vl"
            out.append(f"<text class='{cls}' x='{cx:.1f}' y='{top + i * LINE_H * PX:.1f}'>{e(line)}</text>")
        out.append("</g>")
    out.append("</g></svg>")
    return "".join(out)
