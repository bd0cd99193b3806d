"""One line of a replay, written as numba code for ``chaingrad.compile(backend="numba")``.

A replay's array lines are NumPy expressions (``x @ w + b``, ``np.add.reduce(d, axis=(0,))``, ``g * 2 * x``) or
calls of an op's own ``forward``/``backward``. ``Lines.translate`` writes each as a statement numba compiles, with
the same arithmetic in the same order, and knows every value's dtype and shape (those the trace saw, checked
against what the translation computes). What it writes differently from the default replay, and why:

- a Python number next to a float32 array becomes ``np.float32(...)``: NumPy keeps such a product in float32,
  numba would compute it in float64;
- a 0-d value is a number, not a 0-d array (numba's scalars); ``x ** 2`` is ``x * x`` (NumPy's own fast path);
- sums over all elements or over a matrix's rows are ``total``/``row_sums`` (numba_kernels.py: NumPy's pairwise
  order), over leading axes ``np.sum(a, axis=k)`` (one slice after another, as NumPy adds them);
- ops called through ``forward``/``backward`` are written by their entry in numba_ops.py.

Anything else raises ``Untranslatable``, naming the op or the line: the backend then replays the default code.
"""

from __future__ import annotations

import ast
import re

import numpy as np

from .numba_ops import TABLE, Call, Val, number, spread, summed

#: NumPy functions of one float array that numba compiles as NumPy computes them (the same dtype)
UNARY = {"exp", "tanh", "log", "sqrt", "abs", "sign", "negative", "square", "sin", "cos", "log1p", "expm1"}
FLOATS = {"float32", "float64"}
_TOKEN = re.compile(r"@(\d+)@")
_OBJ = re.compile(r"\$(\w+)\$")


class Untranslatable(Exception):
    """A line the numba backend cannot write as numba code; the message names the op or the line, and why."""


class Typed:
    """An expression being translated: its AST and type (dtype None: a Python number, whose value is ``literal``)."""

    __slots__ = ("node", "dtype", "shape", "literal")

    def __init__(self, node: ast.expr, dtype, shape: tuple, literal=None) -> None:
        self.node, self.dtype, self.shape, self.literal = node, dtype, shape, literal

    @property
    def is_number(self) -> bool:
        return self.dtype is None


def _parse(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _code(node: ast.AST) -> str:
    return ast.unparse(node)


def _float(dtype) -> bool:
    return dtype is not None and np.dtype(dtype).name in FLOATS


def _binop_dtype(a: Typed, b: Typed, what: str):
    """NumPy 2's result dtype of ``a op b`` (a Python number takes the other operand's dtype): float32 or float64
    (a mask of booleans times a float array included), else ``Untranslatable``."""
    if a.is_number or b.is_number:
        dtype = b.dtype if a.is_number else a.dtype
    else:
        dtype = np.result_type(a.dtype, b.dtype)
    if not _float(dtype):
        raise Untranslatable(f"{what} on {' and '.join(np.dtype(t.dtype).name for t in (a, b) if not t.is_number)} "
                             "values (only float32 and float64 arithmetic is fused)")
    return dtype


def _cast(t: Typed, dtype) -> ast.expr:
    """A Python number as a number of ``dtype`` (as NumPy converts it), anything else as it is."""
    if not t.is_number:
        return t.node
    if isinstance(t.literal, bool) or not isinstance(t.literal, (int, float)):
        raise Untranslatable(f"the Python value {t.literal!r} in arithmetic")
    if np.dtype(dtype).name == "float64" and isinstance(t.literal, float) and np.isfinite(t.literal):
        return ast.Constant(t.literal)
    return _parse(number(t.literal, dtype))


_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@"}
_COMPARE = (ast.Gt, ast.Lt, ast.GtE, ast.LtE, ast.Eq, ast.NotEq)
#: NumPy's ufuncs of two arrays that numba compiles (also with an output array: ``np.add(a, b, out=a)``)
BINARY = {"add", "subtract", "multiply", "true_divide", "maximum", "minimum"}


class Lines:
    """Translates the lines of one replay; ``vals`` holds the ``Val`` of every array number seen so far."""

    def __init__(self, names: dict, arrays: dict, resolve) -> None:
        self.names, self.arrays, self.resolve = names, arrays, resolve
        self.vals: dict[int, Val] = {}
        self.ctxs: dict[str, tuple] = {}   # ctx name -> (op class, Call) of a translated forward
        self.boxed: set[int] = set()       # 0-d kernel inputs changed in place: passed as 1-element views

    # -- values -------------------------------------------------------------------------------------------------
    def val(self, n: int) -> Val:
        v = self.vals.get(n)
        if v is None:
            a = self.arrays.get(n)
            if a is None or not hasattr(a, "dtype"):
                raise Untranslatable(f"a value ({self.names.get(n, n)}) whose type the trace did not record")
            code = f"{self.names[n]}[0]" if n in self.boxed else self.names[n]
            v = self.vals[n] = Val(code, np.dtype(a.dtype), tuple(np.shape(a)), _array(a))
        return v

    def define(self, n: int, dtype, shape: tuple) -> Val:
        """The value a line makes, checked against the one the trace saw (a translation must compute the same)."""
        a = self.arrays.get(n)
        if a is not None and hasattr(a, "dtype") and (np.dtype(a.dtype), np.shape(a)) != (np.dtype(dtype), shape):
            raise Untranslatable(f"{self.names[n]} would be {np.dtype(dtype).name} {list(shape)} in numba where eager "
                                 f"gives {np.dtype(a.dtype).name} {list(np.shape(a))}")
        v = self.vals[n] = Val(self.names[n], np.dtype(dtype), shape, _array(a))
        return v

    # -- expressions ------------------------------------------------------------------------------------------------
    def expr(self, node: ast.expr) -> Typed:
        if isinstance(node, ast.Name):
            m = re.fullmatch(r"_a(\d+)", node.id)
            if m is None:
                raise Untranslatable(f"the name {node.id}")
            v = self.val(int(m.group(1)))
            if not _float(v.dtype) and v.dtype != np.bool_:
                raise Untranslatable(f"arithmetic on {v.code}, a {v.dtype.name} array")
            return Typed(_parse(v.code), v.dtype, v.shape)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return Typed(node, None, (), node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            t = self.expr(node.operand)
            if t.is_number:
                value = -t.literal if isinstance(node.op, ast.USub) else t.literal
                return Typed(ast.Constant(value), None, (), value)
            return Typed(ast.UnaryOp(node.op, t.node), t.dtype, t.shape)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return self.binop(node)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            a, b = self.expr(node.left), self.expr(node.comparators[0])
            dtype = _binop_dtype(a, b, f"`{_code(node)}`")
            return Typed(ast.Compare(_cast(a, dtype), node.ops, [_cast(b, dtype)]), np.dtype(np.bool_),
                         tuple(np.broadcast_shapes(a.shape, b.shape)))
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute) and node.attr in ("T", "mT"):
            t = self.expr(node.value)
            if t.is_number or len(t.shape) > 2 or (node.attr == "mT" and len(t.shape) != 2):
                raise Untranslatable(f"the transpose {_code(node)}")
            return Typed(ast.Attribute(t.node, "T"), t.dtype, t.shape[::-1])
        raise Untranslatable(f"the expression {_code(node)}")

    def binop(self, node: ast.BinOp) -> Typed:
        op = _OPS[type(node.op)]
        a, b = self.expr(node.left), self.expr(node.right)
        if a.is_number and b.is_number:
            try:
                value = eval(f"{a.literal!r} {op} {b.literal!r}")  # (two Python numbers: Python computes them)
            except ArithmeticError as e:
                raise Untranslatable(f"{_code(node)}: {e}") from None
            return Typed(ast.Constant(value), None, (), value)
        if op == "@":
            if a.is_number or b.is_number or not 1 <= len(a.shape) <= 2 or not 1 <= len(b.shape) <= 2:
                raise Untranslatable(f"the product {_code(node)} (numba multiplies 1-d and 2-d arrays)")
            if a.dtype != b.dtype:
                raise Untranslatable(f"the product {_code(node)} of {a.dtype.name} and {b.dtype.name}")
            if a.shape[-1] != b.shape[0]:
                raise Untranslatable(f"the product {_code(node)} of shapes {list(a.shape)} and {list(b.shape)}")
            shape = a.shape[:-1] + b.shape[1:]  # (matrix @ matrix, matrix @ vector, vector @ matrix, dot)
            return Typed(ast.BinOp(a.node, ast.MatMult(), b.node), a.dtype, shape)
        dtype = _binop_dtype(a, b, f"`{_code(node)}`")
        shape = tuple(np.broadcast_shapes(a.shape, b.shape))
        if op == "**":
            return self.power(a, b, dtype, shape)
        return Typed(ast.BinOp(_cast(a, dtype), node.op, _cast(b, dtype)), dtype, shape)

    def power(self, a: Typed, b: Typed, dtype, shape: tuple) -> Typed:
        """``a ** b`` as NumPy computes it: its fast paths for the exponents 2, 1, 0.5 and -1, else ``pow``."""
        if b.is_number and not a.is_number and isinstance(b.literal, (int, float)):
            if b.literal == 2:
                return Typed(ast.BinOp(a.node, ast.Mult(), a.node), dtype, shape)
            if b.literal == 1:
                return Typed(_parse(f"+{_code(a.node)}") if not a.shape else
                             ast.Call(ast.Attribute(a.node, "copy"), [], []), dtype, shape)
            if b.literal == 0.5:
                return Typed(_parse(f"np.sqrt({_code(a.node)})"), dtype, shape)
            if b.literal == -1:
                return Typed(ast.BinOp(_cast(Typed(ast.Constant(1), None, (), 1), dtype), ast.Div(), a.node), dtype,
                             shape)
        return Typed(ast.BinOp(_cast(a, dtype), ast.Pow(), _cast(b, dtype)), dtype, shape)

    def call(self, node: ast.Call) -> Typed:
        f = node.func
        text = _code(f)
        kw = {k.arg: k.value for k in node.keywords}
        if text == "np.asarray" and len(node.args) == 1 and not kw:
            return self.expr(node.args[0])
        if text.startswith("np.") and text[3:] in UNARY and len(node.args) == 1 and set(kw) <= {"out"}:
            t = self.expr(node.args[0])
            if t.is_number or not _float(t.dtype):
                raise Untranslatable(f"{text} of {t.literal!r}" if t.is_number else f"{text} of a {t.dtype} array")
            return Typed(ast.Call(f, [t.node] + self.out(kw, t.dtype, t.shape), []), t.dtype, t.shape)
        if text.startswith("np.") and text[3:] in BINARY and len(node.args) == 2 and set(kw) <= {"out"}:
            a, b = (self.expr(x) for x in node.args)
            dtype = _binop_dtype(a, b, text)
            shape = tuple(np.broadcast_shapes(a.shape, b.shape))
            return Typed(ast.Call(f, [_cast(a, dtype), _cast(b, dtype)] + self.out(kw, dtype, shape), []), dtype,
                         shape)
        if text in ("np.float32", "np.float64") and len(node.args) == 1 and not kw:
            value = ast.literal_eval(node.args[0])
            return Typed(_parse(number(value, text[3:])), np.dtype(text[3:]), ())
        if text in ("np.ones", "np.zeros") and len(node.args) == 2 and not kw:
            shape, dtype = ast.literal_eval(node.args[0]), self.dtype_of(node.args[1])
            fill = 1 if text == "np.ones" else 0
            if shape == ():
                return Typed(_parse(number(fill, dtype)), dtype, ())
            return Typed(_parse(f"{text}({shape!r}, np.{dtype.name})"), dtype, tuple(shape))
        if text == "np.add.reduce" and len(node.args) == 1 and set(kw) <= {"axis", "keepdims"}:
            t = self.expr(node.args[0])
            axes = ast.literal_eval(kw["axis"]) if "axis" in kw else 0
            keep = ast.literal_eval(kw["keepdims"]) if "keepdims" in kw else False
            return self.reduce(t, axes, keep)
        if text == "spread" and len(node.args) == 3 and not kw:
            g = self.expr(node.args[0])
            shape, axes = ast.literal_eval(node.args[1]), ast.literal_eval(node.args[2])
            return Typed(_parse(spread(_code(g.node), g.shape, tuple(shape), axes)), g.dtype, tuple(shape))
        if isinstance(f, ast.Attribute) and f.attr in ("reshape", "astype", "copy"):
            return self.method(f.attr, self.expr(f.value), node.args, kw)
        raise Untranslatable(f"the call {_code(node)}")

    def out(self, kw: dict, dtype, shape: tuple) -> list:
        """A ufunc's ``out=`` array (numba takes it as the last positional argument), checked to fit the result."""
        if "out" not in kw:
            return []
        t = self.expr(kw["out"])
        if not isinstance(kw["out"], ast.Name) or t.dtype != np.dtype(dtype) or t.shape != shape or not shape:
            raise Untranslatable(f"the output array {_code(kw['out'])} of a ufunc")
        return [t.node]

    def dtype_of(self, node: ast.expr):
        text = _code(node)
        if text.startswith("np.") and text[3:] in FLOATS:
            return np.dtype(text[3:])
        raise Untranslatable(f"the dtype {text}")

    def reduce(self, t: Typed, axes, keep: bool) -> Typed:
        ndim = len(t.shape)
        if t.is_number:
            raise Untranslatable("a sum of a Python number")
        if ndim == 0:
            return t
        all_axes = tuple(range(ndim)) if axes is None else tuple(
            sorted(a % ndim for a in ((axes,) if isinstance(axes, int) else axes)))
        kept = tuple(1 if i in all_axes else n for i, n in enumerate(t.shape))
        shape = kept if keep else tuple(n for i, n in enumerate(t.shape) if i not in all_axes)
        code = summed(_code(t.node), t.shape, all_axes, kept if keep else None)
        return Typed(_parse(code), t.dtype, shape)

    def method(self, name: str, t: Typed, args: list, kw: dict) -> Typed:
        if t.is_number:
            raise Untranslatable(f".{name}() of a Python number")
        if name == "reshape" and len(args) == 1 and not kw:
            shape = tuple(ast.literal_eval(args[0]))
            if -1 in shape:
                known = int(np.prod([n for n in shape if n != -1]))
                shape = tuple(int(np.prod(t.shape)) // known if n == -1 else n for n in shape)
            if t.shape == shape:
                return t
            if not t.shape:
                return Typed(_parse(f"np.full({shape!r}, {_code(t.node)})"), t.dtype, shape)
            if shape == ():
                return Typed(_parse(f"{_code(t.node)}.ravel()[0]"), t.dtype, ())
            inner = t.node
            if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "reshape":
                inner = inner.func.value  # (a keepdims sum is already a fresh array; reshaped once)
            fresh = isinstance(inner, ast.Call) and _code(inner.func) in ("total", "row_sums", "np.sum")
            base = _code(inner) if fresh else f"np.ascontiguousarray({_code(inner)})"
            return Typed(_parse(f"{base}.reshape({shape!r})"), t.dtype, shape)
        if name == "astype" and len(args) == 1 and not kw:
            dtype = self.dtype_of(args[0])
            if not t.shape:
                return Typed(_parse(f"np.{dtype.name}({_code(t.node)})"), dtype, ())
            return Typed(_parse(f"{_code(t.node)}.astype(np.{dtype.name})"), dtype, t.shape)
        if name == "copy" and not args and not kw:
            return t if not t.shape else Typed(_parse(f"{_code(t.node)}.copy()"), t.dtype, t.shape)
        raise Untranslatable(f"the method .{name}()")

    # -- statements --------------------------------------------------------------------------------------------------
    def translate(self, text: str) -> list[tuple[int | None, str]]:
        """The numba statements of one line (with ``@n@`` for arrays), each with the number it defines."""
        try:
            tree = ast.parse(_TOKEN.sub(r"_a\1", _OBJ.sub(r"_o_\1", text)))
        except SyntaxError:
            raise Untranslatable(f"the line {text}") from None
        body = tree.body
        if len(body) == 2 and isinstance(body[1], ast.Assign) and isinstance(body[1].targets[0], ast.Subscript):
            return [self.fill(body[0], body[1], text)]
        return [out for stmt in body for out in self.statement(stmt, text)]

    def statement(self, stmt: ast.stmt, text: str) -> list[tuple[int | None, str]]:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            n = _number(target)
            if n is not None:
                op = self.op_forward(stmt.value)
                if op is not None:
                    return [self.forward(n, *op)]
                return [self.assign(n, self.expr(stmt.value))]
            if isinstance(target, ast.Tuple):
                return self.backward(target, stmt.value, text)
        if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) and type(stmt.op) in _OPS \
                and not isinstance(stmt.op, (ast.Pow, ast.MatMult)):
            return [self.update(stmt)]
        raise Untranslatable(f"the line {text}")

    def assign(self, n: int, t: Typed) -> tuple[int, str]:
        a = self.arrays.get(n)
        if t.is_number:  # (a Python number where eager has a value of the array's dtype)
            if a is None or not hasattr(a, "dtype"):
                raise Untranslatable(f"a Python number as {self.names[n]}")
            t = Typed(_parse(number(t.literal, a.dtype)), np.dtype(a.dtype), ())
        v = self.define(n, t.dtype, t.shape)
        return n, f"{v.code} = {_code(t.node)}"

    def fill(self, first: ast.stmt, second: ast.stmt, text: str) -> tuple[int, str]:
        """``out = np.empty(shape, g.dtype); out[...] = g`` (a gradient copied to every summed element)."""
        if not (isinstance(first, ast.Assign) and isinstance(first.value, ast.Call) and isinstance(second, ast.Assign)
                and _code(first.value.func) == "np.empty" and len(first.value.args) == 2
                and _code(second.targets[0]) == f"{_code(first.targets[0])}[...]"):
            raise Untranslatable(f"the line {text}")
        n = _number(first.targets[0])
        shape = tuple(ast.literal_eval(first.value.args[0]))
        dt = first.value.args[1]
        g = self.expr(second.value)
        if not (isinstance(dt, ast.Attribute) and dt.attr == "dtype" and _code(self.expr(dt.value).node) ==
                _code(g.node)) or n is None:
            raise Untranslatable(f"the line {text}")
        v = self.define(n, g.dtype, shape)
        if not g.shape:
            return n, f"{v.code} = np.full({shape!r}, {_code(g.node)})"
        return n, f"{v.code} = spread({_code(g.node)}, {shape!r})"

    def update(self, stmt: ast.AugAssign) -> tuple[None, str]:
        n = _number(stmt.target)
        if n is None:
            raise Untranslatable(f"the update {_code(stmt)}")
        target = self.val(n)
        t = self.expr(stmt.value)
        dtype = _binop_dtype(Typed(stmt.target, target.dtype, target.shape), t, "an in-place update")
        if np.dtype(dtype) != target.dtype or np.broadcast_shapes(target.shape, t.shape) != target.shape:
            raise Untranslatable(f"the in-place update of {target.code} ({target.dtype.name} {list(target.shape)}) by "
                                 f"a {np.dtype(dtype).name} {list(t.shape)} value")
        if not target.shape and n not in self.boxed:
            raise Untranslatable(f"the in-place update of the 0-d value {target.code} made inside the step")
        return None, f"{target.code} {_OPS[type(stmt.op)]}= {_code(_cast(t, dtype))}"

    # -- ops called through forward/backward ----------------------------------------------------------------------
    def op_forward(self, value: ast.expr):
        """(op class, ctx name, inputs, parameters) of ``Op.forward(ctx, ...)`` (in ``np.asarray``), else None."""
        if isinstance(value, ast.Call) and _code(value.func) == "np.asarray" and len(value.args) == 1:
            value = value.args[0]
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "forward"
                and value.args and isinstance(value.args[0], ast.Name)):
            return None
        op = self.op_class(value.func.value)
        ins = [self.argument(a) for a in value.args[1:]]
        params = {k.arg: self.argument(k.value) for k in value.keywords}
        return op, value.args[0].id, ins, params

    def op_class(self, node: ast.expr):
        name = node.id if isinstance(node, ast.Name) else ""
        op = self.resolve(name[3:], True) if name.startswith("_o_") else self.resolve(name, False) if name else None
        if op is None:
            raise Untranslatable(f"the call {_code(node)}")
        return op

    def argument(self, node: ast.expr):
        n = _number(node)
        if n is not None:
            return self.val(n)
        try:
            return ast.literal_eval(node)
        except ValueError:
            raise Untranslatable(f"the argument {_code(node)}") from None

    def entry(self, op):
        entry = TABLE.get(op.op_name)
        if entry is None:
            raise Untranslatable(f"the op {op.op_name} ({getattr(op, 'torch_name', None) or op.op_name}) has no numba "
                                 "translation")
        return entry

    def forward(self, n: int, op, cname: str, ins: list, params: dict) -> tuple[int, str]:
        entry = self.entry(op)
        a = self.arrays.get(n)
        if a is None or not hasattr(a, "dtype") or not _float(a.dtype):
            raise Untranslatable(f"the op {op.op_name}: its result is not a float array")
        call = Call(ins, params, Val(self.names[n], np.dtype(a.dtype), tuple(np.shape(a)), _array(a)), ())
        code = entry.forward(call)
        if code is None:
            raise Untranslatable(f"the op {op.op_name} with these arguments (a case its numba translation does not "
                                 "cover)")
        v = self.define(n, a.dtype, tuple(np.shape(a)))
        if cname != "UNRECORDED":
            self.ctxs[cname] = (op, call)
        return n, f"{v.code} = {code}"

    def backward(self, target: ast.Tuple, value: ast.expr, text: str) -> list[tuple[int | None, str]]:
        """``gx, gy = grads(Op.backward(c, g), 2)`` or ``grads_of_tensors(c, (g,), 2)``: each needed gradient."""
        args = value.args if isinstance(value, ast.Call) and len(value.args) >= 2 else []
        f = _code(value.func) if isinstance(value, ast.Call) else ""
        inner = args[0] if args else None
        if f == "grads" and isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) \
                and inner.func.attr == "backward" and inner.args:
            cname, gs = inner.args[0], inner.args[1:]
        elif f == "grads_of_tensors" and isinstance(args[1], ast.Tuple):
            cname, gs = args[0], args[1].elts
        else:
            raise Untranslatable(f"the line {text}")
        g = _number(gs[0]) if len(gs) == 1 else None
        if not isinstance(cname, ast.Name) or cname.id not in self.ctxs or g is None:
            raise Untranslatable(f"the backward line {text}")
        op, call = self.ctxs[cname.id]
        call.g = self.val(g)
        out: list[tuple[int | None, str]] = []
        for i, t in enumerate(target.elts):
            n = _number(t)
            if n is None:
                continue
            code = self.entry(op).backward(call, i)
            if code is None:
                raise Untranslatable(f"the backward of {op.op_name} for its input {i} (a case its numba translation "
                                     "does not cover)")
            a = self.arrays.get(n)
            if a is None or not hasattr(a, "dtype"):
                raise Untranslatable(f"the gradient {self.names.get(n, n)}, whose type the trace did not record")
            v = self.define(n, a.dtype, tuple(np.shape(a)))
            out.append((n, f"{v.code} = {call.g.code if code == '=g' else code}"))
        return out


def _array(a):
    return a if isinstance(a, np.ndarray) else None


def _number(node: ast.expr) -> int | None:
    if isinstance(node, ast.Name):
        m = re.fullmatch(r"_a(\d+)", node.id)
        if m is not None:
            return int(m.group(1))
    return None
