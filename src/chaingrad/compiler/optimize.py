"""Passes over a finished trace that make the replay cheaper without changing a bit of its results.

Each pass removes work that eager chaingrad does but whose result the replay does not need, and says why the
bits cannot change. tests/test_compile.py runs every captured program compiled and eagerly and compares
every loss, parameter and buffer with ``np.array_equal``.
"""

from __future__ import annotations

import ast
import re

import numpy as np

from .cross_entropy import inline_cross_entropy
from .tracer import FREE_BYTES, Line, Trace

_ASARRAY = re.compile(r"^(@\d+@) = np\.asarray\((.*)\)$")
_OUTPUT = re.compile(r"output\(@(\d+)@, ")
_TOKEN = re.compile(r"@(\d+)@")


def optimize(trace: Trace, arrays: dict, count: int, no_grad: set, fused: bool = False) -> None:
    """Run every pass on ``trace`` in place (``arrays``: the tracer's array number -> the array it traced;
    ``count``: the largest number it gave an array; ``no_grad``: the names of the tensors from outside whose
    ``.grad`` was None when the call began, which the guards check; ``fused``: for backend="numba", which
    translates the cross-entropy ops itself)."""
    if not fused:
        inline_cross_entropy(trace, arrays, count)
    drop_asarray(trace, arrays)
    fold_constants(trace, count)
    drop_unit_factors(trace, arrays)
    drop_dead_grads(trace, no_grad)
    fuse_transposes(trace, arrays)
    inline_accumulate(trace, arrays, no_grad)
    write_in_place(trace, arrays)


def drop_asarray(trace: Trace, arrays: dict) -> None:
    """``y = np.asarray(x * 0.5)`` -> ``y = x * 0.5`` where every use of ``y`` is plain arithmetic or the output.

    Eager wraps each 0-d result in ``np.asarray`` because NumPy gives a scalar for 0-d arithmetic (0.1 µs a
    call). A float scalar and a 0-d array of the same dtype give the same bits under + - * / (NumPy 2 promotes
    them alike, and these operations are correctly rounded in either path); ``**`` and every other function
    are left alone. ``output()`` makes its own 0-d array of a scalar, as eager's result."""
    lines = [line for line in trace.lines + (trace.backward or []) if line.text]
    uses = _users(lines)
    held = _delivered(trace)
    in_output = [int(n) for n in _TOKEN.findall(trace.output)]
    to_output = [int(n) for n in _OUTPUT.findall(trace.output)]
    for line in lines:
        m = _ASARRAY.match(line.text)
        if m is None or len(line.defines) != 1:
            continue
        n = line.defines[0]
        a = arrays.get(n)
        if a is None or np.dtype(a.dtype).kind != "f" or n in held:
            continue
        if in_output.count(n) != to_output.count(n):  # (returned other than as a tensor)
            continue
        if all(use is line or (use.scalar_ok and not use.text.startswith(f"@{n}@ ")) for use in uses[n]):
            line.text = f"{m.group(1)} = {m.group(2)}"


_ONES = re.compile(r"^@\d+@ = np\.ones\(\([\d, ]*\), np\.\w+\)$")
_PY = re.compile(r"@(\d+)@")
_BACK = re.compile(r"\b_a(\d+)\b")


def fold_constants(trace: Trace, count: int) -> None:
    """Lines that depend on no input (the backward's ``dL/dL = 1``, ``dL/dL * 0.5``, that spread over a shape,
    times 2) move out of ``replay`` to the top of the module: computed once, when the code is loaded.

    Each is the same NumPy expression on the same values, so it gives the same bits as when eager computes it on
    every call. A product whose first factors are constants (``dL_dpow_ * 2 * sub``) gets them as one constant
    (Python computes ``(dL_dpow_ * 2) * sub`` in that order too). Only the plain arithmetic lines are folded, and
    only values that every later line merely reads (never changed in place, never returned or made a .grad)."""
    lines = [line for line in trace.lines + (trace.backward or []) if line.text]
    uses = _users(lines)
    held = _delivered(trace)
    held |= {int(n) for n in _TOKEN.findall(trace.output)}

    def only_read(n: int, line: Line) -> bool:
        return n not in held and all(u is line or (u.scalar_ok and not u.text.startswith(f"@{n}@ "))
                                     for u in uses.get(n, ()))

    consts: set[int] = set()
    top = max([count] + [int(n) for line in lines for n in _TOKEN.findall(line.text)])
    out: list[Line] = []
    folded: list[Line] = []
    for line in trace.lines:
        if not line.text or line.section != "backward":
            out.append(line)
            continue
        tokens = {int(n) for n in _TOKEN.findall(line.text)} - set(line.defines)
        if "$" not in line.text and line.defines and all(only_read(d, line) for d in line.defines) and (
                _ONES.match(line.text) or (line.scalar_ok and tokens and tokens <= consts)):
            line.section = "const"
            folded.append(line)
            consts.update(line.defines)
            continue
        if line.scalar_ok and tokens & consts and ";" not in line.text and "$" not in line.text:
            for k, text in _fold_factors(line, consts, top):
                folded.append(Line("const", f"@{k}@ = {text}", "the constant factors of a line below", (k,)))
                trace.names[k] = "const"
                consts.add(k)
                top = k
        out.append(line)
    trace.lines[:] = folded + out
    trace.big -= {f"@{n}@" for n in consts}


def drop_unit_factors(trace: Trace, arrays: dict) -> None:
    """``dL_dsub = const * sub`` -> ``dL_dsub = sub`` where the folded constant is exactly 1 everywhere (the seed's
    ``0.5 * 2``): the gradient is then the array itself.

    ``1 * x`` is ``x``, bit for bit, for every value an arithmetic operation can give (the sign of zero,
    infinities and quiet NaNs come through unchanged; only a signalling NaN would be quieted, and no
    arithmetic makes one): so only where ``x`` was made by an arithmetic line of the replay, the product has
    ``x``'s shape and dtype, and every line that reads the result reads it into a new array of its own (it
    is never changed in place, made a ``.grad``, returned or read by a compiled backward)."""
    consts = [line for line in trace.lines if line.section == "const" and line.text]
    env: dict = {"np": np}
    try:
        for line in consts:
            exec(_PY.sub(r"_a\1", line.text), env)
    except Exception:  # (a constant the generator cannot evaluate here: nothing is dropped)
        return
    lines = [line for line in trace.lines if line.text and line.section != "const"]
    uses = _uses(lines)
    held = _held(trace)
    defs = {line.defines[0]: line for line in lines if len(line.defines) == 1}
    for k, line in enumerate(lines):
        tree = _parse(line.text)
        if tree is None or not isinstance(tree[1], ast.BinOp) or not isinstance(tree[1].op, ast.Mult):
            continue
        n, value = tree
        if not (isinstance(value.left, ast.Name) and isinstance(value.right, ast.Name)):
            continue
        ml, mr = _BACK.fullmatch(value.left.id), _BACK.fullmatch(value.right.id)
        if ml is None or mr is None:
            continue
        c, x = int(ml.group(1)), int(mr.group(1))
        unit = env.get(f"_a{c}")
        a, out = arrays.get(x), arrays.get(n)
        made = defs.get(x)
        if not isinstance(unit, (np.ndarray, np.generic)) or type(a) is not np.ndarray or type(out) is not np.ndarray:
            continue
        if not np.all(unit == 1) or a.shape != out.shape or a.dtype != out.dtype or n in held:
            continue
        if made is None or (p := _parse(made.text)) is None or not isinstance(p[1], (ast.BinOp, ast.UnaryOp)) or \
                isinstance(p[1], ast.BinOp) and isinstance(p[1].op, ast.MatMult):
            continue  # (x must be the result of arithmetic: never a signalling NaN)
        if all(j == k or _reads_into_new(lines[j], n) for j in uses.get(n, ())):
            line.text = f"@{n}@ = @{x}@"
            line.comment += " (times 1: the array itself)"
    used = {int(t) for line in trace.lines if line.section != "const" for t in _TOKEN.findall(line.text)}
    for line in reversed(consts):  # (constants no line reads any more)
        if line.defines and not any(d in used or any(f"@{d}@" in o.text for o in consts if o is not line)
                                    for d in line.defines):
            line.text = ""
    trace.lines[:] = [line for line in trace.lines if line.text or not line.defines]


def _fold_factors(line: Line, consts: set, top: int) -> list[tuple[int, str]]:
    """Rewrite ``line`` so that each largest expression of constants in its right side (not the whole side:
    that is a result of its own, never a shared constant) reads a new constant; the new ones, numbered from
    ``top + 1``, with their expressions."""
    made: list[tuple[int, str]] = []
    try:
        tree = ast.parse(_PY.sub(r"_a\1", line.text))
    except SyntaxError:  # (not a plain Python line: left as it is)
        return made
    stmt = tree.body[0]
    if len(tree.body) != 1 or not isinstance(stmt, ast.Assign):
        return made

    def fold(node: ast.expr) -> ast.expr:
        if _constant(node, consts) and isinstance(node, (ast.BinOp, ast.UnaryOp)):
            made.append((top + 1 + len(made), _BACK.sub(r"@\1@", ast.unparse(node))))
            return ast.Name(f"_a{made[-1][0]}", ast.Load())
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.expr):
                setattr(node, field, fold(value))
        return node

    for field, value in ast.iter_fields(stmt.value):
        if isinstance(value, ast.expr):
            setattr(stmt.value, field, fold(value))
    if made:
        line.text = _BACK.sub(r"@\1@", ast.unparse(tree))
    return made


def _constant(node: ast.expr, consts: set) -> bool:
    """An expression of constants: numbers, and the arrays folded so far."""
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float)
    if isinstance(node, ast.Name):
        m = _BACK.fullmatch(node.id)
        return m is not None and int(m.group(1)) in consts
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)) and _constant(node.left, consts) \
            and _constant(node.right, consts)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.USub) and _constant(node.operand, consts)
    return False


#: a line whose result is a new array: a sum (reshaped), or a matrix product
_FRESH = re.compile(r"^@\d+@ = (np\.add\.reduce\([^;]*\)(\.reshape\([^;]*\))?|@\d+@(\.T|\.mT)? @ @\d+@(\.T|\.mT)?)$")
_WRITES = re.compile(r"^(@\d+@)(\[| [-+*/@]=)")  # a line that changes an array in place
_ACCUMULATE = re.compile(r"^accumulate\(\$(\w+)\$, @(\d+)@, (True|False)\)$")
_GRAD_READ = re.compile(r"^(@\d+@) = \$(\w+)\$\._grad\._data$")
_OBJECT = re.compile(r"\$(\w+)\$(\._data\b|\._version\[0\] \+=|\._grad\._data\b|\.grad = None$)?")


def drop_dead_grads(trace: Trace, no_grad: set) -> None:
    """A ``.grad`` that the step makes, reads and sets back to None (the seed's ``w -= lr * w.grad;
    w.grad = None``) is never made: the update reads the gradient itself.

    Eager's ``accumulate`` makes ``.grad`` from the gradient (a copy, or the array itself) and the step only
    reads it before dropping it, so the update reads the same values either way; no other code can see the
    ``.grad`` in between (no call the replay makes besides NumPy's touches it). Only where the ``.grad`` was None
    when the call began (a guard), nothing before touches it, one gradient is delivered to it, and neither array
    is changed in place."""
    lines = [line for line in trace.lines if line.text]
    starts: dict[str, int] = {}
    for line in lines:
        m = re.match(r"^(@\d+@)(\[| [-+*/@]?=)", line.text)
        if m is not None:
            starts[m.group(1)] = starts.get(m.group(1), 0) + (m.group(2) != " =")
    held = {f"@{n}@" for n in set(trace.grad_outputs) | set(trace.backward_args)}
    held |= set(_TOKEN.findall(trace.output) and [f"@{n}@" for n in _TOKEN.findall(trace.output)])
    for name in sorted(no_grad):
        acc = [(k, m) for k, line in enumerate(lines) if (m := _ACCUMULATE.match(line.text)) and m.group(1) == name]
        if len(acc) != 1:
            continue
        k, g = acc[0][0], f"@{acc[0][1].group(2)}@"
        if not all(_only_touches(line, name, ("._data", ".grad = None")) for line in lines[:k]):
            continue
        reads: list[Line] = []
        arrays, end = [g], None
        for j in range(k + 1, len(lines)):
            line = lines[j]
            if line.text == f"${name}$.grad = None":
                end = j
                break
            if not _only_touches(line, name, ("._data", "._grad._data", "._version[0] +=")):
                break
            r = _GRAD_READ.match(line.text)
            if r is not None and r.group(2) == name:
                reads.append(line)
                arrays.append(r.group(1))
        if end is None or any(f"${name}$._grad" in line.text or f"${name}$.grad" in line.text
                              for line in lines[end + 1:]):
            continue
        made = [line for line in lines if line.defines and f"@{line.defines[0]}@" == g]
        if len(made) != 1 or not (made[0].scalar_ok or _FRESH.match(made[0].text)):
            continue  # (a gradient that may share memory with an array that changes: .grad would be a copy)
        if any(starts.get(a, 0) or a in held or any(a in b.text for b in trace.backward or ()) for a in arrays):
            continue
        if not all(u is lines[k] or u is made[0] or u in reads or (u.scalar_ok and not u.text.startswith(a + " "))
                   for a in arrays for u in lines if a in _tokens(u.text)):
            continue  # (every other use only reads it, into a new array)
        lines[k].text = ""
        lines[end].text = ""
        for line in reads:
            line.text = f"{line.text.split(' = ')[0]} = {g}"
            line.comment = f"{name}.grad, never made: it is only read, then set to None"
    trace.lines[:] = [line for line in trace.lines if line.text or not line.defines]


def _tokens(text: str) -> set:
    return {f"@{n}@" for n in _TOKEN.findall(text)}


def _only_touches(line: Line, name: str, allowed: tuple) -> bool:
    """True when ``line`` reaches outside objects only through reads of their arrays and version counters (no
    call into other code but the ``.grad`` of another tensor), and reaches ``name`` only in the ``allowed`` ways."""
    m = _ACCUMULATE.match(line.text)
    if m is not None:
        return m.group(1) != name
    for m in _OBJECT.finditer(line.text):
        how = m.group(2)
        if how is None or (m.group(1) == name and how not in allowed):
            return False
    return True


def inline_accumulate(trace: Trace, arrays: dict, no_grad: set) -> None:
    """``accumulate(w_t, g, owned)`` -> the one case of ``Arrays.accumulate`` that the call takes, written out.

    Which case it takes follows from the lines before it: the guards say the ``.grad`` was None when the call
    began, or a line sets it to None, or an earlier line of the replay made it (then, as eager, the sum is
    out of place: ``w_t._grad = wrap(w_t._grad._data + g)``). Whether a first gradient is copied is what
    ``accumulate`` decides from the same facts (owned, a view, read-only), as they were when traced: the same
    line makes the same kind of array on every call. Any line that calls other code ends what is known."""
    made = {line.defines[0]: line for line in trace.lines if line.text and line.defines and line.section != "const"}
    zeroed = _zero_grad_params(trace)
    state: dict[str, str] = dict.fromkeys(no_grad, "none")
    first: dict[str, tuple[Line, int]] = {}  # a first gradient written out, not read since: (its line, its number)
    for line in trace.lines:
        if not line.text or line.section == "const":
            continue
        m = _ACCUMULATE.match(line.text)
        if m is not None:
            name, n, owned = m.group(1), int(m.group(2)), m.group(3) == "True"
            a, before = arrays.get(n), state.pop(name, None)
            earlier = first.pop(name, None)
            if type(a) is not np.ndarray or n not in made or a.ndim == 0:
                continue
            if before == "none":
                copy = not owned or a.base is not None or not a.flags.writeable
                line.text = f"${name}$._grad = wrap(@{n}@{'.copy()' if copy else ''})"
                line.comment = f"{name}.grad = dL/d{name} (its first gradient{', copied' if copy else ''})"
                first[name] = (line, n)
            elif before == "array" and earlier is not None:
                # Speed: the first .grad, never read, is only summed into the second: the sum of the gradients
                # themselves (the copy eager makes has the same values)
                earlier[0].text = ""
                line.text = f"${name}$._grad = wrap(@{earlier[1]}@ + @{n}@)"
                line.comment = f"{name}.grad = dL/d{name} + dL/d{name} (its first two gradients, summed)"
            elif before == "array":
                line.text = f"${name}$._grad = wrap(${name}$._grad._data + @{n}@)"
                line.comment = f"{name}.grad += dL/d{name} (out of place)"
            else:
                continue
            state[name] = "array"
            continue
        w = _WRITES.match(line.text)
        if w is not None:  # (an array changed in place: a first gradient it may be is not what .grad holds)
            first = {k: v for k, v in first.items() if f"@{v[1]}@" != w.group(1)}
        if line.text.endswith("$.grad = None") and _OBJECT.fullmatch(line.text):
            state[line.text[1:-len("$.grad = None")]] = "none"
            first.pop(line.text[1:-len("$.grad = None")], None)
            continue
        z = re.fullmatch(r"\$(\w+)\$\.zero_grad\(\)", line.text)
        if z is not None and z.group(1) in zeroed:  # (Optimizer.zero_grad(): every parameter's .grad is None)
            for name in zeroed[z.group(1)]:
                state[name] = "none"
                first.pop(name, None)
            continue
        for o in _OBJECT.finditer(line.text):
            how = o.group(2)
            if how is None:  # (a call into other code: it may change any .grad)
                state.clear()
                first.clear()
                break
            first.pop(o.group(1), None)  # (its .grad, or the tensor, is used: the first .grad must be there)
            if how not in ("._data", "._grad._data", "._version[0] +="):
                state.pop(o.group(1), None)


def _zero_grad_params(trace: Trace) -> dict[str, list[str]]:
    """For each optimizer of the trace whose ``zero_grad`` is chaingrad's own: the names of its parameters (after
    ``opt.zero_grad()``, set_to_none by default, each one's ``.grad`` is None)."""
    from ..optim.optimizer import Optimizer

    names = {id(o): name for name, o in trace.objects.items()}
    out: dict[str, list[str]] = {}
    for name, o in trace.objects.items():
        if isinstance(o, Optimizer) and type(o).zero_grad is Optimizer.zero_grad:
            out[name] = [names[id(p)] for group in o.param_groups for p in group["params"] if id(p) in names]
    return out


def _delivered(trace: Trace) -> set[int]:
    """The arrays handed on by the trace: a compiled backward's output gradients and arguments, and the
    gradients it delivers."""
    return set(trace.grad_outputs) | set(trace.backward_args) | {n for _, n in trace.deliveries}


def _users(lines: list) -> dict[int, list]:
    """Array number -> the lines that mention it (once per mention)."""
    users: dict[int, list] = {}
    for line in lines:
        for n in _TOKEN.findall(line.text):
            users.setdefault(int(n), []).append(line)
    return users


def _held(trace: Trace) -> set[int]:
    """The arrays that outlive the replay's straight line: returned, handed to the compiled backward, or read by it."""
    held = _delivered(trace)
    held |= {int(n) for n in _TOKEN.findall(trace.output)}
    held |= {int(n) for line in trace.backward or () for n in _TOKEN.findall(line.text)}
    return held


def _uses(lines: list) -> dict[int, list[int]]:
    """Array number -> the indices of the lines that mention it."""
    uses: dict[int, list[int]] = {}
    for k, line in enumerate(lines):
        for n in dict.fromkeys(_TOKEN.findall(line.text)):
            uses.setdefault(int(n), []).append(k)
    return uses


_DOUBLE_T = re.compile(r"^@(\d+)@ = \((@\d+@\.T @ @\d+@)\)\.T$")
_T_OF = re.compile(r"^@(\d+)@ = @(\d+)@\.T$")


def fuse_transposes(trace: Trace, arrays: dict) -> None:
    """``p = (g.T @ x).T; w_grad = p.T`` -> ``w_grad = g.T @ x``: a Linear's weight gradient, made in the
    weight's own row-major layout, as the product itself instead of a view of it.

    Eager computes the gradient of ``weight.t()`` as ``(g^T @ x)^T`` (in that operand's layout), and Permute's
    backward transposes it back: a view of the product, which ``.grad`` then copies (a view may share its
    memory). The product is the same NumPy call on the same arrays, so its values are the same; what changes is
    that ``.grad`` can take the product itself (nothing else holds it), without the copy: the same values in
    the same layout."""
    lines = [line for line in trace.lines if line.text]
    defs = {line.defines[0]: line for line in lines if len(line.defines) == 1}
    uses = _uses(lines)
    held = _held(trace)
    for line in lines:
        m = _T_OF.match(line.text)
        if m is None:
            continue
        n = int(m.group(2))
        inner = defs.get(n)
        d = _DOUBLE_T.match(inner.text) if inner is not None else None
        if inner is None or d is None or n in held or len(uses.get(n, ())) != 2 or inner.section != line.section:
            continue
        line.text = f"@{m.group(1)}@ = {d.group(2)}"
        line.comment, line.letters = f"{inner.comment}, permuted back: one product", inner.letters
        inner.text = ""
        out = int(m.group(1))
        if isinstance(arrays.get(out), np.ndarray):
            arrays[out] = arrays[out].copy()  # (what the line now makes: a new array of the same values and layout)
    trace.lines[:] = [line for line in trace.lines if line.text or not line.defines]


#: ufuncs that give the same bits whatever array they write into: correctly rounded or exact elementwise
_IN_PLACE_OPS = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "true_divide"}
_IN_PLACE_CALLS = {"maximum", "minimum"}


def write_in_place(trace: Trace, arrays: dict) -> None:
    """``y = a * b`` -> ``y = np.multiply(a, b, out=a)`` (and ``np.maximum(a, 0, out=a)``) where the array ``a``
    is a new one that this line uses last: the result is written into ``a``'s memory instead of a new array.

    Speed: a new array per step for every activation and gradient costs memory traffic that hand-written
    NumPy avoids with ``out=``. The same ufunc on the same operands gives the same bits wherever it writes
    (these are + - * /, maximum and minimum: each element correctly rounded or exact on its own). Only where
    ``a`` has the result's shape and dtype, was made by a line of the replay as a new array (an arithmetic,
    matmul or sum line: never an outside tensor's array, a view, or what an op's own code made), and every
    other line that reads it reads it into a new array of its own (so no view of it is alive), is not
    returned, and is not read by a compiled backward."""
    lines = [line for line in trace.lines if line.text and line.section != "const"]
    uses = _uses(lines)
    held = _held(trace)
    fresh: set[int] = set()
    for k, line in enumerate(lines):
        tree = _parse(line.text)
        if tree is None:
            continue
        target, value = tree
        cand = _in_place_candidate(value, fresh, uses, k, held, arrays, target, lines)
        if cand is not None:
            if isinstance(value, ast.BinOp):
                call = f"np.{_IN_PLACE_OPS[type(value.op)]}({ast.unparse(value.left)}, {ast.unparse(value.right)}"
            else:
                call = ast.unparse(value)[:-1]
            line.text = _BACK.sub(r"@\1@", f"_a{target} = {call}, out=_a{cand})")
            fresh.discard(cand)
        if target is not None and _makes_new(value):
            fresh.add(target)


def _parse(text: str):
    """(the number a line assigns, its value's ast) for ``@n@ = expr`` or addmm's ``@n@ = a @ b; @n@ += c``."""
    try:
        tree = ast.parse(_PY.sub(r"_a\1", text))
    except SyntaxError:
        return None
    body = tree.body
    if not body or not isinstance(body[0], ast.Assign) or len(body[0].targets) != 1:
        return None
    t = body[0].targets[0]
    if not isinstance(t, ast.Name) or not _BACK.fullmatch(t.id):
        return None
    n = int(t.id[2:])
    if len(body) == 2 and isinstance(body[1], ast.AugAssign) and isinstance(body[1].target, ast.Name) and \
            body[1].target.id == t.id and isinstance(body[0].value, ast.BinOp):
        return n, body[0].value  # (the product; the += writes into the product's own new array)
    return (n, body[0].value) if len(body) == 1 else None


_NEW_CALLS = {"np.maximum", "np.minimum", "np.exp", "np.tanh", "np.add", "np.subtract", "np.multiply",
              "np.true_divide", "np.negative"}


def _makes_new(value: ast.expr) -> bool:
    """Whether an expression gives a new array (arithmetic, a product, a comparison, a ufunc or a sum)."""
    if isinstance(value, (ast.BinOp, ast.Compare, ast.UnaryOp)):
        return True
    if isinstance(value, ast.Call):
        f = ast.unparse(value.func)
        return f in _NEW_CALLS or f.startswith("np.add.reduce(") or f == "np.add.reduce"
    return False


def _only_new(value: ast.expr) -> bool:
    """Whether an expression only reads the arrays it names into new arrays (no view of them survives it)."""
    if not _makes_new(value):
        return False
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and not ast.unparse(node.func).startswith("np."):
            return False
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id != "np" and \
                node.attr not in ("T", "mT", "dtype", "shape"):
            return False
    return True


def _in_place_candidate(value, fresh: set, uses: dict, k: int, held: set, arrays: dict, target: int | None,
                        lines: list):
    """The number of an operand of ``value`` (line k) that the result may be written into, or None."""
    if isinstance(value, ast.BinOp) and type(value.op) in _IN_PLACE_OPS:
        operands = [value.left, value.right]
    elif isinstance(value, ast.Call) and ast.unparse(value.func) in {f"np.{c}" for c in _IN_PLACE_CALLS} and \
            len(value.args) == 2 and not value.keywords:
        operands = [value.args[0]]
    else:
        return None
    out = arrays.get(target)
    for op in operands:
        m = _BACK.fullmatch(op.id) if isinstance(op, ast.Name) else None
        if m is None:
            continue
        n = int(m.group(1))
        a = arrays.get(n)
        if n not in fresh or n in held or type(a) is not np.ndarray or type(out) is not np.ndarray or a.ndim == 0 \
                or a.shape != out.shape or a.dtype != out.dtype:
            continue
        if uses[n][-1] != k or a.nbytes < FREE_BYTES:
            continue  # (read again later; or small, where the call with out= costs more than it saves)
        if not all(j == k or _reads_into_new(lines[j], n) for j in uses[n]):
            continue  # (a line that may keep a view of it, or hand it to other code)
        return n
    return None


def _reads_into_new(line: Line, n: int) -> bool:
    tree = _parse(line.text)
    return tree is not None and (tree[0] == n and _makes_new(tree[1]) or _only_new(tree[1]))
