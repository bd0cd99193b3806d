"""The ops whose forward and backward are one NumPy expression, written inline in the generated code.

``x @ w + b`` reads better than ``Add.forward(c2, MatMul.forward(c1, x, w), b)``, and it is the same NumPy
call: each entry below repeats its op's forward and backward exactly (same operators, same order), and
tests/test_compile.py checks every one against the op itself, bit for bit. Any other op, or a case an entry
does not cover, is called through its own ``forward``/``backward``.

``forward(args, params)`` gives the expression or None; ``backward(args, params, i, g, shapes)`` the expression
of the gradient of input i (``"=g"``: the gradient itself, no new array; ``{y}`` stands for the op's output; a
statement when it holds ``{out}``, the name of the result), or None for "call the op's backward".
"""

from __future__ import annotations


def _num(code: str) -> bool:
    return not code.startswith("@")


def _t(code: str, ndim: int) -> str:
    return f"{code}.T" if ndim == 2 else f"{code}.mT"


class Entry:
    def __init__(self, forward, backward, needs_all: bool = False) -> None:
        self.forward, self.backward = forward, backward


def _matmul_bwd(args, params, i, g, shapes):
    a, b = args
    ndims = [len(s) for s in shapes]
    if i == 0:
        return f"{g} @ {_t(b, ndims[1])}"
    if ndims[0] > 2 and ndims[1] == 2:
        return None
    return f"{_t(a, ndims[0])} @ {g}"


def _pow_bwd(args, params, i, g, shapes):
    x, n = args
    if i != 0 or not _num(n):
        return None
    value = eval(n)  # (a literal the tracer wrote: an int or float)
    if value == 0:
        return f"{g} * 0"
    return f"{g} * {n} * {x}" if value == 2 else f"{g} * {n} * {x} ** ({n} - 1)"


def _sum_bwd(args, params, i, g, shapes):
    axes = params.get("axes", "None")
    if axes == "None" and shapes[0] != ():  # _spread() written out: the same empty array filled with the gradient
        return f"{{out}} = np.empty({shapes[0]!r}, {g}.dtype); {{out}}[...] = {g}"
    return f"spread({g}, {shapes[0]!r}, {axes})"


TABLE = {
    "Add": Entry(lambda a, p: f"{a[0]} + {a[1]}" if not p else None, lambda a, p, i, g, d: "=g"),
    "Sub": Entry(lambda a, p: f"{a[0]} - {a[1]}" if not p else None,
                 lambda a, p, i, g, d: "=g" if i == 0 else f"-{g}"),
    "Mul": Entry(lambda a, p: f"{a[0]} * {a[1]}" if not p else None,
                 lambda a, p, i, g, d: f"{g} * {a[1]}" if i == 0 else f"{g} * {a[0]}"),
    "Div": Entry(lambda a, p: f"{a[0]} / {a[1]}" if not p else None,
                 lambda a, p, i, g, d: f"{g} / {a[1]}" if i == 0 else f"-{g} * {a[0]} / ({a[1]} * {a[1]})"),
    "Neg": Entry(lambda a, p: f"-{a[0]}" if not p else None, lambda a, p, i, g, d: f"-{g}"),
    "MatMul": Entry(lambda a, p: f"{a[0]} @ {a[1]}" if not p else None, _matmul_bwd),
    "Sum": Entry(lambda a, p: (f"np.add.reduce({a[0]}, axis={p.get('axes', 'None')}, "
                               f"keepdims={p.get('keepdim', 'False')})") if set(p) <= {"axes", "keepdim"} else None,
                 _sum_bwd),
    # {y}: the op's output, which their backward reads (as it saved it)
    "Exp": Entry(lambda a, p: f"np.exp({a[0]})" if not p else None, lambda a, p, i, g, d: f"{g} * {{y}}"),
    "Tanh": Entry(lambda a, p: f"np.tanh({a[0]})" if not p else None,
                  lambda a, p, i, g, d: f"{g} * (1 - {{y}} * {{y}})"),
    "Pow": Entry(lambda a, p: f"{a[0]} ** {a[1]}" if not p and _num(a[1]) else None, _pow_bwd),
}
