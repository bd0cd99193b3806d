"""Drawing a laid-out graph picture with matplotlib: boxes for tensors, ovals for ops, curved arrows, a legend."""

from __future__ import annotations

from .layout import LINE_H, layout

STYLES = {  # fill, edge
    "leaf": ("#dcf0d5", "#2e7d32"),      # a leaf that requires grad (a parameter)
    "const": ("#eeeeee", "#8a8a8a"),     # an input that needs no gradient (data, constants)
    "inter": ("#e1eefa", "#1f5f99"),     # an intermediate result
    "output": ("#ffe3c4", "#d35400"),    # the output drawn from
    "op": ("#fff6cc", "#a67c00"),        # an operation
    "group": ("#f3e8fb", "#7b3f9e"),     # several ops summarized
}
LEGEND = (("leaf", "leaf (requires grad)"), ("const", "constant / data"), ("inter", "intermediate"),
          ("output", "output"), ("op", "operation"))
GRAD_COLOR = "#b03000"


def render(pic):
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline") \
            and "inline" not in matplotlib.get_backend():
        pass  # the figure is created without pyplot's window machinery below
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch, Patch
    from matplotlib.path import Path

    lr = pic.direction == "LR"
    if not hasattr(pic, "_routes"):
        layout(pic)
    xs = [n.x - n.w / 2 for n in pic.nodes] + [n.x + n.w / 2 for n in pic.nodes]
    ys = [n.y - n.h / 2 for n in pic.nodes] + [n.y + n.h / 2 for n in pic.nodes]
    margin = 0.25
    top_space = (0.55 if pic.title else 0.2) + (0.25 if pic.summary else 0.0)
    bottom_space = 0.45
    width = (max(xs) - min(xs)) + 2 * margin
    height = (max(ys) - min(ys)) + 2 * margin + top_space + bottom_space
    width = max(width, 5.5)
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(min(xs) - margin - (width - 2 * margin - (max(xs) - min(xs))) / 2,
                max(xs) + margin + (width - 2 * margin - (max(xs) - min(xs))) / 2)
    ax.set_ylim(max(ys) + margin + top_space, min(ys) - margin - bottom_space)  # y grows downwards
    ax.axis("off")
    byid = {n.id: n for n in pic.nodes}

    for k, (a, b, label) in enumerate(pic.edges):
        pts = list(pic._routes[k])
        na, nb = byid[a], byid[b]
        if lr:
            pts[0] = (na.x + na.w / 2, na.y)
            pts[-1] = (nb.x - nb.w / 2 - 0.02, nb.y)
        else:
            pts[0] = (na.x, na.y + na.h / 2)
            pts[-1] = (nb.x, nb.y - nb.h / 2 - 0.02)
        verts, codes = [pts[0]], [Path.MOVETO]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if lr:
                dx = (x1 - x0) / 2
                verts += [(x0 + dx, y0), (x1 - dx, y1), (x1, y1)]
            else:
                dy = (y1 - y0) / 2
                verts += [(x0, y0 + dy), (x1, y1 - dy), (x1, y1)]
            codes += [Path.CURVE4] * 3
        arrow = FancyArrowPatch(path=Path(verts, codes), arrowstyle="-|>", mutation_scale=11, lw=1.1,
                                color="#555555", zorder=1, shrinkA=0, shrinkB=0)
        ax.add_patch(arrow)
        if label:
            mx, my = pts[len(pts) // 2] if len(pts) > 2 else ((pts[0][0] + pts[1][0]) / 2, (pts[0][1] + pts[1][1]) / 2)
            ax.text(mx, my, label, fontsize=7, color="#555555", ha="center", va="bottom", family="DejaVu Sans")

    for n in pic.nodes:
        fill, edge = STYLES[n.kind]
        if n.shape == "oval":
            ax.add_patch(Ellipse((n.x, n.y), n.w, n.h, facecolor=fill, edgecolor=edge, lw=1.3, zorder=2))
        else:
            ax.add_patch(FancyBboxPatch((n.x - n.w / 2, n.y - n.h / 2), n.w, n.h,
                                        boxstyle="round,pad=0,rounding_size=0.06", facecolor=fill, edgecolor=edge,
                                        lw=1.3, zorder=2))
        top = n.y - (len(n.lines) - 1) * LINE_H / 2
        for j, line in enumerate(n.lines):
            first = j == 0
            ax.text(n.x, top + j * LINE_H, line, ha="center", va="center", zorder=3,
                    family="DejaVu Sans Mono", fontsize=9.5 if first else 8.5,
                    weight="bold" if first and n.shape == "box" else "normal",
                    color=GRAD_COLOR if j == n.grad_line else ("#222222" if first else "#333333"))
    if pic.title:
        ax.text((ax.get_xlim()[0] + ax.get_xlim()[1]) / 2, min(ys) - margin - top_space / 2 + 0.05, pic.title,
                ha="center", va="center", fontsize=12, weight="bold", family="DejaVu Sans")
    kinds = {n.kind for n in pic.nodes}
    handles = [Patch(facecolor=STYLES[k][0], edgecolor=STYLES[k][1], label=text) for k, text in LEGEND if k in kinds]
    if "group" in kinds:
        handles.append(Patch(facecolor=STYLES["group"][0], edgecolor=STYLES["group"][1], label="summarized ops"))
    has_grad = any(n.grad_line >= 0 for n in pic.nodes)
    if has_grad:
        handles.append(Patch(facecolor="white", edgecolor="white", label="red: gradient dL/d(tensor)"))
    note = pic.summary
    leg = ax.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7.5, frameon=False,
                    bbox_to_anchor=(0.5, 0.0), handlelength=1.2, columnspacing=1.2)
    if has_grad:
        leg.get_texts()[-1].set_color(GRAD_COLOR)
    if note:
        ax.text((ax.get_xlim()[0] + ax.get_xlim()[1]) / 2, min(ys) - margin - 0.02, note, ha="center",
                va="bottom", fontsize=8.5, color="#7b3f9e", family="DejaVu Sans", style="italic")
    return fig
