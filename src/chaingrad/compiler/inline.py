"""The ops whose forward and backward are one NumPy expression, written inline in the generated code.

``x @ w + b`` reads better than ``Add.forward(c2, MatMul.forward(c1, x, w), b)``, and it is the same NumPy
call: each entry below repeats its op's forward and backward exactly (same operators, same order), and
tests/test_compile.py checks every one against the op itself, bit for bit. Any other op, or a case an entry
does not cover, is called through its own ``forward``/``backward``.

``forward(args, params)`` gives the expression (a statement when it holds ``{out}``, the name of the result) or
None; ``backward(args, params, i, g, shapes, flags)`` the expression of the gradient of input i (``"=g"``: the
gradient itself, no new array; ``{y}`` stands for the op's output; a statement when it holds ``{out}``), or None
for "call the op's own forward and backward". ``flags`` says, for each input, whether its array was laid out
column by column when traced (``linalg.transposed``), where eager's backward chooses its product by that;
``Entry.layout(i, shapes)`` names the inputs whose layout the expression for input i was chosen by, which the
tracer guards (or, where it cannot, calls the op instead).
"""

from __future__ import annotations


def _num(code: str) -> bool:
    return not code.startswith("@")


def _t(code: str, ndim: int) -> str:
    return f"{code}.T" if ndim == 2 else f"{code}.mT"


class Entry:
    def __init__(self, forward, backward, layout=None) -> None:
        self.forward, self.backward = forward, backward
        self._layout = layout  # (i, shapes) -> the inputs whose layout chose input i's expression

    def layout(self, i: int, shapes: tuple) -> tuple:
        return self._layout(i, shapes) if self._layout is not None else ()


def may_be_transposed(shape: tuple) -> bool:
    """Whether an array of this shape can be laid out column by column but not row by row (``transposed``): a
    2-D one with no dim of size 1 (with one, NumPy calls it both or neither)."""
    return len(shape) == 2 and min(shape) > 1


def _b_gradient(a: str, b: str, g: str, b_transposed: bool) -> str:
    """MatMul's (and addmm's) gradient of b = a^T @ g, in b's own layout as eager computes it: for a b that is
    the transpose of a row-major matrix (a Linear's ``weight.t()``), (g^T @ a)^T."""
    return f"({g}.T @ {a}).T" if b_transposed else f"{a}.T @ {g}"


def _matmul_bwd(args, params, i, g, shapes, flags):
    a, b = args
    ndims = [len(s) for s in shapes]
    if 1 in ndims:  # (a vector: eager multiplies or reshapes instead)
        return None
    if i == 0:
        return f"{g} @ {_t(b, ndims[1])}"
    if ndims[0] > 2 and ndims[1] == 2:
        return None
    if ndims == [2, 2]:
        return _b_gradient(a, b, g, flags[1])
    return f"{_t(a, ndims[0])} @ {g}"


_ADDMM = {"beta": "1", "alpha": "1", "kind": "'addmm'"}  # (c + a @ b: Linear's forward; the defaults)


def _addmm(params) -> bool:
    return all(_ADDMM.get(k) == v for k, v in params.items())


def _addmm_fwd(args, params):
    c, a, b = args
    # prod + c, written into prod: the same addition (a new array from matmul, which nothing else holds)
    return f"{{out}} = {a} @ {b}; {{out}} += {c}" if _addmm(params) else None


def _addmm_bwd(args, params, i, g, shapes, flags):
    c, a, b = args
    if not _addmm(params) or len(shapes[1]) != 2:
        return None
    if i == 0:
        return "=g"
    return f"{g} @ {b}.T" if i == 1 else _b_gradient(a, b, g, flags[2])


def _permute_fwd(args, params):
    return f"{args[0]}.T" if params == {"dims": "(1, 0)"} else None


def _pow_bwd(args, params, i, g, shapes, flags):
    x, n = args
    if i != 0 or not _num(n):
        return None
    value = eval(n)  # (a literal the tracer wrote: an int or float)
    if value == 0:
        return f"{g} * 0"
    return f"{g} * {n} * {x}" if value == 2 else f"{g} * {n} * {x} ** ({n} - 1)"


def _sum_bwd(args, params, i, g, shapes, flags):
    axes = params.get("axes", "None")
    if axes == "None" and shapes[0] != ():  # _spread() written out: the same empty array filled with the gradient
        return f"{{out}} = np.empty({shapes[0]!r}, {g}.dtype); {{out}}[...] = {g}"
    return f"spread({g}, {shapes[0]!r}, {axes})"


TABLE = {
    "Add": Entry(lambda a, p: f"{a[0]} + {a[1]}" if not p else None, lambda a, p, i, g, d, f: "=g"),
    "Sub": Entry(lambda a, p: f"{a[0]} - {a[1]}" if not p else None,
                 lambda a, p, i, g, d, f: "=g" if i == 0 else f"-{g}"),
    "Mul": Entry(lambda a, p: f"{a[0]} * {a[1]}" if not p else None,
                 lambda a, p, i, g, d, f: f"{g} * {a[1]}" if i == 0 else f"{g} * {a[0]}"),
    "Div": Entry(lambda a, p: f"{a[0]} / {a[1]}" if not p else None,
                 lambda a, p, i, g, d, f: f"{g} / {a[1]}" if i == 0 else f"-{g} * {a[0]} / ({a[1]} * {a[1]})"),
    "Neg": Entry(lambda a, p: f"-{a[0]}" if not p else None, lambda a, p, i, g, d, f: f"-{g}"),
    "MatMul": Entry(lambda a, p: f"{a[0]} @ {a[1]}" if not p else None, _matmul_bwd,
                    lambda i, d: (1,) if i == 1 and len(d[0]) == 2 and may_be_transposed(d[1]) else ()),
    # Linear: addmm(bias, x, weight.t()), then the weight's gradient permuted back (optimize.py: no copy)
    "AddMatmul": Entry(_addmm_fwd, _addmm_bwd, lambda i, d: (2,) if i == 2 and may_be_transposed(d[2]) else ()),
    "Permute": Entry(_permute_fwd, lambda a, p, i, g, d, f: f"{g}.T"),
    "Relu": Entry(lambda a, p: f"np.maximum({a[0]}, 0)" if not p else None,
                  lambda a, p, i, g, d, f: f"{g} * ({{y}} > 0)"),
    "Sum": Entry(lambda a, p: (f"np.add.reduce({a[0]}, axis={p.get('axes', 'None')}, "
                               f"keepdims={p.get('keepdim', 'False')})") if set(p) <= {"axes", "keepdim"} else None,
                 _sum_bwd),
    # {y}: the op's output, which their backward reads (as it saved it)
    "Exp": Entry(lambda a, p: f"np.exp({a[0]})" if not p else None, lambda a, p, i, g, d, f: f"{g} * {{y}}"),
    "Tanh": Entry(lambda a, p: f"np.tanh({a[0]})" if not p else None,
                  lambda a, p, i, g, d, f: f"{g} * (1 - {{y}} * {{y}})"),
    "Pow": Entry(lambda a, p: f"{a[0]} ** {a[1]}" if not p and _num(a[1]) else None, _pow_bwd),
}
