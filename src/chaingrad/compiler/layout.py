"""The layout pass: convolutions, pooling and the elementwise ops between them hand arrays on in batch-last memory.

A convolution computes in (C, H, W, N) memory, where every kernel offset reads long contiguous runs
(ops/conv_kernels.py); eager copies its input into that layout and its output back to (N, C, H, W), and its
backward does the same again. ``batch_last`` rewrites a replay so that a convolution's output stays in the
memory it was computed in, seen as an (N, C, H, W) view (compiler/batch_last.py), and so do the pooling
and elementwise lines that read it, up to the next convolution: no copy in between, and the backward reads
the row columns the forward built instead of building them again.

Why no bit changes: the same kernels run on the same values in the same order; only where an array lives
changes. A line may read such a view only where its result cannot depend on the memory order:
- a convolution (forward: its input; backward: its output gradient), which first puts the array into
  (C, H, W, N) memory itself (a copy, or the view's own memory: the same array either way);
- ``AvgPoolBlocks`` forward and backward: sums of strided slices, each element added in the same order;
- elementwise lines (Sigmoid forward and backward, inline + - * /, negation, comparisons, maximum, minimum,
  exp, tanh): each element on its own. Every array the pass lets through is dense (a permutation of a
  C-contiguous array), so a unary ufunc's loop runs over one contiguous run, as on eager's array.
Every other line that reads one (a sum, a product, a reshape, a ``.grad``, the return value) gets it back in
C order first (``nchw``): eager's own layout, since the pass only lets through arrays that were C-contiguous
when traced. A trace that writes such an array in place in any other way, or hands it to other code, is
left as it is. A compiled forward whose backward runs later (``trace.backward``) is left alone too: the row
columns would have to outlive the call.
"""

from __future__ import annotations

import ast
import re

import numpy as np

from .batch_last import Buffers
from .optimize import _BACK, _PY, _TOKEN, _WRITES, _parse
from .tracer import FREE_BYTES, Line, Trace

_CONV = re.compile(r"^@(\d+)@ = Conv2d\.forward\((c\d+|UNRECORDED), @(\d+)@, (@\d+@|None), (@\d+@|None), "
                   r"(stride=\(\d+, \d+\), padding=\(\d+, \d+, \d+, \d+\), dilation=\(\d+, \d+\), groups=\d+)\)$")
_POOL = re.compile(r"^@(\d+)@ = AvgPoolBlocks\.forward\((c\d+|UNRECORDED), @(\d+)@, kernel=(\(\d+, \d+\)), "
                   r"out_size=(\(\d+, \d+\)), scale=([0-9.e+-]+)\)$")
_BACKWARD = re.compile(r"^(.+) = grads_of_tensors\((c\d+), \(@(\d+)@,\), (\d+)\)$")
_CTX = re.compile(r"^(c\d+) = ctx\((Conv2d|AvgPoolBlocks|Sigmoid), (\([^()]*\)), ")
_SIGMOID_FORWARD = re.compile(r"^@(\d+)@ = Sigmoid\.forward\((c\d+|UNRECORDED), @(\d+)@\)$")
_SIGMOID_BACKWARD = re.compile(r"^@(\d+)@, = grads\(Sigmoid\.backward\((c\d+), @(\d+)@\), 1\)$")
_GRAD_SET = re.compile(r"^\$\w+\$\._grad = wrap\(@\d+@(\.copy\(\))?\)$")
_ACCUMULATE = re.compile(r"^accumulate\(\$\w+\$, @\d+@, (True|False)\)$")
_MODULES = {"Conv2d": "chaingrad.ops.conv", "AvgPoolBlocks": "chaingrad.ops.pool", "Sigmoid": "chaingrad.ops.unary"}

#: calls of the replay that only read the arrays they get (as well as NumPy's, and ops' forward and backward)
_READERS = {"grads", "grads_of_tensors", "ctx", "spread", "unbroadcast", "slice"}
_ELEMENTWISE_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_ELEMENTWISE_CALLS = {"np.maximum", "np.minimum", "np.add", "np.subtract", "np.multiply", "np.true_divide",
                      "np.negative", "np.exp", "np.tanh", "np.asarray"}


def batch_last(trace: Trace, arrays: dict) -> None:
    """Rewrite ``trace`` so that convolutions and what reads their outputs work in batch-last memory (see the
    module docstring); ``arrays``: the array each number stood for when traced."""
    if trace.backward is not None or any(trace.imports.get(k, m) != m for k, m in _MODULES.items()):
        return
    lines = [line for line in trace.lines if line.text and line.section != "const"]
    if not any(_CONV.match(line.text) for line in lines):
        return
    ctxs = {m.group(1): (m.group(2), ast.literal_eval(m.group(3))) for line in lines if (m := _CTX.match(line.text))}
    top = max([0] + [int(n) for line in trace.lines for n in _TOKEN.findall(line.text)] +
              [int(n) for n in _TOKEN.findall(trace.output)])
    views: set[int] = set()      # arrays that may be in batch-last memory at this line
    derived: set[int] = set()    # arrays a line made from a C-order copy of one (perhaps a view of the copy)
    convs: dict[str, bool] = {}  # ctx of a rewritten convolution -> whether it pads
    pools: dict[str, str] = {}   # ctx of a rewritten pooling -> its backward's parameters
    sigmoids: dict[str, str] = {}  # ctx of a rewritten sigmoid -> its output
    unpools: dict[str, tuple] = {}  # the result of a rewritten unpooling -> (its line, its arguments)
    plan: list[tuple[Line, str, list[int]]] = []  # (line, its new text, the arrays to copy to C order first)
    fused: list[Line] = []       # lines a rewritten line does the work of
    for line in lines:
        text, reads = line.text, [int(n) for n in dict.fromkeys(_TOKEN.findall(line.text))]
        dense = all(_c_contiguous(arrays.get(n)) for n in line.defines)  # (as eager's array was)
        m = _CONV.match(text)
        if m is not None and dense and (m.group(2) == "UNRECORDED" or ctxs.get(m.group(2), ("",))[0] == "Conv2d"):
            out, cname, x, w, b, params = m.groups()
            need = ctxs[cname][1] if cname in ctxs else (False, False, False)
            target = "_" if cname == "UNRECORDED" else cname
            new = f"@{out}@, {target} = batch_last.conv2d(@{x}@, {w}, {b}, {need!r}, BUFFERS_{target}, {params})"
            plan.append((line, new, [n for n in reads if n in views and n != int(x)]))
            views.add(int(out))
            convs[cname] = "padding=(0, 0, 0, 0)" not in params
            continue
        m = _POOL.match(text)
        if m is not None and dense and int(m.group(3)) in views:
            out, cname, x, kernel, out_size, scale = m.groups()
            plan.append((line, f"@{out}@ = batch_last.avg_pool(@{x}@, kernel={kernel}, out_size={out_size}, "
                         f"scale={scale})", []))
            pools[cname] = f"kernel={kernel}, size={tuple(arrays[int(x)].shape[2:])!r}, scale={scale}"
            views.add(int(out))
            continue
        m = _BACKWARD.match(text)
        if m is not None and m.group(2) in convs and m.group(4) == "3":
            targets, cname, g = m.group(1), m.group(2), m.group(3)
            plan.append((line, f"{targets} = batch_last.conv2d_backward({cname}, @{g}@)", []))
            gx = re.match(r"^@(\d+)@,", targets)
            if gx is not None and not convs[cname] and _c_contiguous(arrays.get(int(gx.group(1)))):
                views.add(int(gx.group(1)))  # (with padding, x's gradient is eager's own array)
            continue
        if m is not None and m.group(2) in pools and m.group(4) == "1" and re.fullmatch(r"@\d+@,", m.group(1)) \
                and dense:
            out = m.group(1)[:-1]
            new = f"{out} = batch_last.avg_unpool(@{m.group(3)}@, {pools[m.group(2)]}, buffers=BUFFERS_{m.group(2)})"
            plan.append((line, new, []))
            unpools[out] = (line, f"@{m.group(3)}@, {pools[m.group(2)]}")
            views.add(int(out[1:-1]))
            continue
        m = _SIGMOID_FORWARD.match(text)
        if m is not None and dense and int(m.group(3)) in views and (
                m.group(2) == "UNRECORDED" or ctxs.get(m.group(2), ("",))[0] == "Sigmoid"):
            out, cname, x = m.groups()
            plan.append((line, f"@{out}@ = batch_last.sigmoid(@{x}@, BUFFERS_{cname.replace('UNRECORDED', '_')})", []))
            sigmoids[cname] = f"@{out}@"
            views.add(int(out))
            continue
        m = _SIGMOID_BACKWARD.match(text)
        if m is not None and dense and m.group(2) in sigmoids:
            out, cname, g = m.groups()
            pool = unpools.get(f"@{g}@")
            if pool is not None and sum(g in _TOKEN.findall(o.text) for o in lines) == 2:
                # its gradient is an unpooling's, which nothing else reads: the two as one (no unpooled copy)
                plan[:] = [p for p in plan if p[0] is not pool[0]]
                fused.append(pool[0])
                new = f"@{out}@ = batch_last.unpool_sigmoid_backward({pool[1]}, out={sigmoids[cname]}, "
            else:
                new = f"@{out}@ = batch_last.sigmoid_backward(@{g}@, {sigmoids[cname]}, "
            plan.append((line, new + f"buffers=BUFFERS_{cname})", []))
            views.add(int(out))
            continue
        if any(n in views for n in reads) and dense and (_SIGMOID_FORWARD.match(text) or
                                                         _SIGMOID_BACKWARD.match(text) or _elementwise(text)):
            views.update(line.defines)
            continue
        touched = [n for n in reads if n in views or n in derived]
        if not touched:
            continue
        if _writes_or_hands_on(text, touched):
            return  # (it may change such an array in place, or keep it: the trace is left as it is)
        if not _makes_new(text):
            derived.update(line.defines)
        copies = [n for n in reads if n in views and n not in line.defines]
        if copies:
            plan.append((line, text, copies))
    dropped = (set(convs) | set(pools) | set(sigmoids)) - {"UNRECORDED"}
    rewritten = {id(line) for line, _, _ in plan} | {id(line) for line in fused}
    if any(re.search(rf"\b{c}\b", line.text) and id(line) not in rewritten and not line.text.startswith(f"{c} = ")
           for line in lines for c in dropped):
        return  # (a line reads the ctx of an op it rewrote but is not rewritten itself: left as it is)
    outputs = [int(n) for n in dict.fromkeys(_TOKEN.findall(trace.output)) if int(n) in views]
    for line in fused:
        line.text = ""
    _apply(trace, arrays, plan, dropped, top, outputs)


def _apply(trace: Trace, arrays: dict, plan: list, dropped: set, top: int, outputs: list) -> None:
    """Write the plan: the new texts, each C-order copy on the line before its reader, the returned arrays in C
    order, and no ctx line for the rewritten ops (their new forms keep what their backward reads)."""
    trace.imports["batch_last"] = "chaingrad.compiler"
    for line, text, copies in plan:
        for n in copies:
            top += 1
            text = text.replace(f"@{n}@", f"@{top}@")
            copy = Line(line.section, f"@{top}@ = batch_last.nchw(@{n}@)", "in C order for the line below", (top,))
            trace.lines.insert(trace.lines.index(line), copy)
            _name_after(trace, arrays, n, top)
        line.text = text
    for line, _, _ in plan:
        if "BUFFERS_" in line.text:
            _buffers(trace, line)
    for line in trace.lines:
        m = _CTX.match(line.text)
        if m is not None and m.group(1) in dropped:
            line.text = ""
    for n in outputs:
        top += 1
        trace.lines.append(Line(trace.lines[-1].section, f"@{top}@ = batch_last.nchw(@{n}@)", "in C order, returned",
                                (top,)))
        _name_after(trace, arrays, n, top)
        trace.output = trace.output.replace(f"@{n}@", f"@{top}@")
    trace.lines[:] = [line for line in trace.lines if line.text or not line.defines]


_BUFFERED = re.compile(r"^(@\d+@)(?:, (c\d+|_))? = batch_last\.(conv2d|avg_unpool|sigmoid)\(")


def _buffers(trace: Trace, line: Line) -> None:
    """The ``Buffers`` of a rewritten line: a convolution's row columns (and its output and its input's
    gradient, where they die within the call); an unpooling's result, a sigmoid's output and the products of
    its backward, where they die within the call."""
    m = _BUFFERED.match(line.text)
    if m is None:  # (a sigmoid's backward: the buffers of its forward, written there)
        return
    out, cname, fn = m.group(1), m.group(2), m.group(3)
    placeholder = line.text[line.text.index("BUFFERS_"):].split(",")[0].split(")")[0]
    roles = {"conv2d": ["rows"], "avg_unpool": [], "sigmoid": ["1-y"]}[fn]
    if _dies_within(trace, out, line):
        roles.append("out")
    back = None
    if fn == "conv2d" and cname not in (None, "_"):
        back = next((b for b in trace.lines if f"batch_last.conv2d_backward({cname}, " in b.text), None)
        role = "gx"
    elif fn == "sigmoid":
        back = next((b for b in trace.lines if b.text.endswith(f"{out}, buffers={placeholder})")), None)
        role = "g*y"
    made = re.match(r"^(@\d+@)", back.text) if back is not None else None
    if back is not None and made is not None and _dies_within(trace, made.group(1), back):
        roles.append(role)
    if fn == "sigmoid" and "out" in roles and _only_reader(trace, line):
        roles.remove("out")  # (its output goes into its input's memory)
        line.text = line.text[:-1] + ", in_place=True)"
    base = placeholder[len("BUFFERS_"):].strip("_") or "unrecorded"  # (named after the op's ctx: c1_buffers)
    name, k = f"{base}_buffers", 1
    while name in trace.objects:
        k += 1
        name = f"{base}_buffers_{k}"
    trace.objects[name] = Buffers(*roles)
    for target in (line, back):
        if target is not None:
            target.text = target.text.replace(placeholder, f"${name}$")


def _only_reader(trace: Trace, line: Line) -> bool:
    """Whether a sigmoid's input is a convolution's output that this line alone reads (and that dies with the
    call, as its output does): the sigmoid may then be computed in the input's own memory.

    Speed: LeNet's first sigmoid read 2.4 MB and wrote 2.4 MB more: 490 µs a step, 410 in place."""
    m = re.search(r"batch_last\.sigmoid\((@\d+@), ", line.text)
    if m is None:
        return False
    x = m.group(1)
    if x in trace.output or any(x in re.findall(r"@\d+@", b.text) for b in trace.backward or ()):
        return False
    readers = [other for other in trace.lines if x in re.findall(r"@\d+@", other.text)]
    return len(readers) == 2 and readers[1] is line and bool(
        re.match(re.escape(x) + r", (c\d+|_) = batch_last\.conv2d\(", readers[0].text))


def _dies_within(trace: Trace, token: str, made: Line) -> bool:
    """Whether every line that reads the array ``token`` (made by the line ``made``) reads it into a new array of
    its own and keeps no view of it past the call (so the same memory may hold it again on the next call)."""
    if token in trace.output:
        return False
    for line in trace.lines:
        if line is made or token not in re.findall(r"@\d+@", line.text):
            continue
        text = line.text
        if _SIGMOID_FORWARD.match(text) or _SIGMOID_BACKWARD.match(text) or re.match(
                r"^@\d+@(, c\d+|, _)? = batch_last\.(avg_pool|avg_unpool|conv2d|sigmoid)\(" + re.escape(token) + ", ",
                text):
            continue
        if re.match(r"^@\d+@ = batch_last\.(unpool_)?sigmoid_backward\(@\d+@, ", text):
            continue
        if re.match(r"^.+ = batch_last\.conv2d_backward\(c\d+, " + re.escape(token) + r"\)$", text):
            continue
        tree = _parse(text)
        if tree is not None and isinstance(tree[1], (ast.BinOp, ast.UnaryOp, ast.Compare)) and _pointwise(tree[1]):
            continue
        return False
    return True


def _name_after(trace: Trace, arrays: dict, n: int, m: int) -> None:
    """Array m, a C-order copy of array n: named after it, freed after its last use where it is big."""
    a = arrays.get(n)
    arrays[m] = a
    trace.derived[m] = (n, "_nchw")
    if getattr(a, "nbytes", 0) >= FREE_BYTES:
        trace.big.add(f"@{m}@")


def _c_contiguous(a) -> bool:
    return isinstance(a, np.ndarray) and a.flags.c_contiguous


def _elementwise(text: str) -> bool:
    """Whether a line computes each element of its result from the same elements of its operands alone."""
    tree = _parse(text)
    return tree is not None and _pointwise(tree[1])


def _pointwise(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return _BACK.fullmatch(node.id) is not None
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float, bool)
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, _ELEMENTWISE_OPS) and _pointwise(node.left) and _pointwise(node.right)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.USub) and _pointwise(node.operand)
    if isinstance(node, ast.Compare):
        return _pointwise(node.left) and all(_pointwise(c) for c in node.comparators)
    if isinstance(node, ast.Call):
        return ast.unparse(node.func) in _ELEMENTWISE_CALLS and all(_pointwise(a) for a in node.args) and \
            all(k.arg == "out" and _pointwise(k.value) for k in node.keywords)
    return False


def _makes_new(text: str) -> bool:
    """Whether a line's result is a new array (arithmetic, a product, a ufunc without ``out=``, a sum): never a
    view of what it reads."""
    tree = _parse(text)
    if tree is None:
        return False
    value = tree[1]
    if isinstance(value, (ast.BinOp, ast.UnaryOp, ast.Compare)):
        return True
    return isinstance(value, ast.Call) and all(k.arg != "out" for k in value.keywords) and (
        ast.unparse(value.func) in _ELEMENTWISE_CALLS - {"np.asarray"} or ast.unparse(value.func) == "np.add.reduce")


def _writes_or_hands_on(text: str, touched: list) -> bool:
    """Whether a line may write into one of the ``touched`` arrays in place, or hand it to code that may keep or
    change it (anything but reading it into an op's forward or backward, or making it a ``.grad``)."""
    for n in touched:
        token = f"@{n}@"
        w = _WRITES.match(text)
        if (w is not None and w.group(1) == token) or f"out={token}" in text:
            return True
        if f"wrap({token}" in text and not _GRAD_SET.match(text):
            return True
    if _ACCUMULATE.match(text) or _GRAD_SET.match(text):
        return False
    calls = re.findall(r"([\w.$]+)\(", _PY.sub("a", text))
    return any(not (c.startswith("np.") or c in _READERS or
                    c.endswith((".forward", ".backward"))) for c in calls)
