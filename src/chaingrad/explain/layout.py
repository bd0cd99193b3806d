"""Where each box of a graph picture goes: a small layered ("Sugiyama") layout, so no Graphviz is needed.

Longest-path layers along the flow, barycenter ordering across it (fewest crossings wins), then positions
relaxed towards their neighbours; long edges get waypoints between the layers they cross.
"""

from __future__ import annotations

# text metrics of the monospace font used in boxes, in inches (DejaVu Sans Mono, 9 pt)
CHAR_W = 0.075
LINE_H = 0.165
PAD = 0.09
LAYER_GAP = 0.38
NODE_GAP = 0.22


def _size(n, lr: bool) -> None:
    width = max(len(line) for line in n.lines) * CHAR_W + 2 * PAD
    height = len(n.lines) * LINE_H + 2 * PAD
    if n.shape == "oval":
        width, height = width * 1.25 + 0.1, height * 1.15 + 0.04
    n.w, n.h = max(width, 0.45), height


def layout(pic) -> None:
    """Place nodes: layers along the flow, order across it, then relax positions (a small Sugiyama)."""
    lr = pic.direction == "LR"
    for n in pic.nodes:
        _size(n, lr)
    ids = [n.id for n in pic.nodes]
    byid = {n.id: n for n in pic.nodes}
    succ = {i: [] for i in ids}
    pred = {i: [] for i in ids}
    for a, b, _ in pic.edges:
        succ[a].append(b)
        pred[b].append(a)
    # longest-path layers from the sources, then sources pulled next to their first consumer
    order = _topo(ids, succ, pred)
    layer = {}
    for i in order:
        layer[i] = max((layer[p] + 1 for p in pred[i]), default=0)
    for i in reversed(order):
        if not pred[i] and succ[i]:
            layer[i] = min(layer[s] for s in succ[i]) - 1
    # dummy points so long edges are routed between the boxes of the layers they cross
    chains = {}
    vnodes = dict(layer)
    vsucc = {i: [] for i in ids}
    vpred = {i: [] for i in ids}
    for k, (a, b, _) in enumerate(pic.edges):
        path = [a]
        for step in range(layer[a] + 1, layer[b]):
            d = f"_d{k}_{step}"
            vnodes[d] = step
            vsucc[d], vpred[d] = [], []
            path.append(d)
        path.append(b)
        for u, v in zip(path, path[1:]):
            vsucc[u].append(v)
            vpred[v].append(u)
        chains[k] = path
    n_layers = max(vnodes.values()) + 1 if vnodes else 0
    layers = [[] for _ in range(n_layers)]
    for i in order:
        layers[layer[i]].append(i)
    for d, lay in vnodes.items():
        if d.startswith("_d"):
            layers[lay].append(d)
    layers = _order(layers, vsucc, vpred)

    def across(i):  # size across the flow
        if i.startswith("_d"):
            return 0.05
        return byid[i].h if lr else byid[i].w

    def along(i):
        if i.startswith("_d"):
            return 0.0
        return byid[i].w if lr else byid[i].h

    # positions along the flow: one column (or row) per layer
    pos_along, at = {}, 0.0
    for lay in layers:
        size = max((along(i) for i in lay), default=0.0)
        for i in lay:
            pos_along[i] = at + size / 2
        at += size + LAYER_GAP
    # positions across: stacked, then pulled towards neighbours while keeping order and gaps
    pos = {}
    for lay in layers:
        c = 0.0
        for i in lay:
            pos[i] = c + across(i) / 2
            c += across(i) + NODE_GAP
    for it in range(24):
        sweep = layers if it % 2 == 0 else list(reversed(layers))
        for lay in sweep:
            want = []
            for i in lay:
                nb = vpred[i] + vsucc[i]
                want.append(sum(pos[j] for j in nb) / len(nb) if nb else pos[i])
            _pack(lay, want, pos, across)
    lo = min((pos[i] - across(i) / 2 for i in pos), default=0.0)
    for n in pic.nodes:
        a, c = pos_along[n.id], pos[n.id] - lo
        n.x, n.y = (a, c) if lr else (c, a)
    pic._routes = {}
    for k, path in chains.items():
        pic._routes[k] = [((pos_along[p], pos[p] - lo) if lr else (pos[p] - lo, pos_along[p])) for p in path]


def _pack(lay: list, want: list, pos: dict, size) -> None:
    """Positions as close to ``want`` as the order and the gaps allow (least squares, pool adjacent)."""
    blocks = []  # [start index, end index, offset sum...] solved with pool-adjacent-violators
    offs, c = [], 0.0
    for i in lay:
        offs.append(c + size(i) / 2)
        c += size(i) + NODE_GAP
    for k in range(len(lay)):
        blocks.append([k, k, want[k] - offs[k], 1])
        while len(blocks) > 1 and blocks[-2][2] / blocks[-2][3] > blocks[-1][2] / blocks[-1][3]:
            b = blocks.pop()
            blocks[-1][1] = b[1]
            blocks[-1][2] += b[2]
            blocks[-1][3] += b[3]
    for s, e, tot, cnt in blocks:
        base = tot / cnt
        for k in range(s, e + 1):
            pos[lay[k]] = base + offs[k]


def _topo(ids, succ, pred) -> list:
    indeg = {i: len(pred[i]) for i in ids}
    ready = [i for i in ids if indeg[i] == 0]
    out = []
    while ready:
        i = ready.pop(0)
        out.append(i)
        for s in succ[i]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    return out


def _order(layers: list, succ: dict, pred: dict) -> list:
    """Barycenter ordering, sweeping down and up; the order with the fewest crossings wins."""
    best, best_x = [list(lay) for lay in layers], _crossings(layers, succ)
    cur = [list(lay) for lay in layers]
    for it in range(16):
        down = it % 2 == 0
        rng = range(1, len(cur)) if down else range(len(cur) - 2, -1, -1)
        for li in rng:
            ref = cur[li - 1] if down else cur[li + 1]
            idx = {v: k for k, v in enumerate(ref)}
            nbrs = pred if down else succ

            def bary(v, idx=idx, nbrs=nbrs, li=li):
                ks = [idx[u] for u in nbrs[v] if u in idx]
                return sum(ks) / len(ks) if ks else cur[li].index(v)

            cur[li] = sorted(cur[li], key=bary)
        x = _crossings(cur, succ)
        if x < best_x:
            best, best_x = [list(lay) for lay in cur], x
    return best


def _crossings(layers: list, succ: dict) -> int:
    total = 0
    for a, b in zip(layers, layers[1:]):
        ib = {v: k for k, v in enumerate(b)}
        pairs = [(ka, ib[s]) for ka, u in enumerate(a) for s in succ[u] if s in ib]
        for i in range(len(pairs)):
            for j in range(i + 1, len(pairs)):
                if (pairs[i][0] - pairs[j][0]) * (pairs[i][1] - pairs[j][1]) < 0:
                    total += 1
    return total
