"""Reading a recorded graph for people: its op nodes, its tensors, and what to call each of them.

``explain`` and ``draw`` both start here. Names come, in this order, from ``tensor.name = "..."``, from
the variables that hold the tensors in the caller's code (locals and globals of the calling frames), from
a short expression built out of the inputs' names (``x @ w``, ``(y_pred - y_true)^2``), and finally from
the op and its position (``matmul_2``).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

import numpy as np

from ..autograd.engine import graph_nodes, root_grads, run_backward
from ..autograd.gradients import broadcast_axes
from ..autograd.node import _IN, _OUT, Node
from ..tensor import Tensor

#: expression names longer than this fall back to op-and-position names
MAX_EXPR_NAME = 26

_INFIX = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "MatMul": "@"}
#: short symbols for op boxes in pictures
OP_SYMBOLS = {"Add": "+", "Sub": "\u2212", "Mul": "\u00d7", "Div": "\u00f7", "MatMul": "@", "Sum": "\u03a3",
              "Neg": "\u2212x", "Pow": "x^n"}


@dataclass(eq=False)
class TensorInfo:
    """One tensor of the graph: a leaf, a constant input, or an op's output."""

    key: tuple
    name: str
    shape: tuple
    dtype: np.dtype
    kind: str  # "leaf" (requires grad), "const" (no grad), "inter" (an op's output), "output" (a root)
    tensor: Tensor | None = None
    value: np.ndarray | None = None
    compound: bool = False  # an infix expression name that needs parentheses inside another one
    named: bool = False     # the name came from the user (variable or tensor.name), not generated

    @property
    def requires_grad(self) -> bool:
        return self.kind != "const"


@dataclass(eq=False)
class OpInfo:
    """One recorded node with the tensors it reads and writes."""

    node: Node
    op: str
    inputs: list = field(default_factory=list)   # TensorInfo per input slot
    outputs: list = field(default_factory=list)  # TensorInfo per output number (None when unused)

    @property
    def symbol(self) -> str:
        """A short label for pictures; scalar constants are folded in (``x^2``, ``× 0.5``)."""
        consts = [ti for ti in self.inputs if is_scalar_const(ti)]
        if self.op == "Pow" and len(self.inputs) > 1 and is_scalar_const(self.inputs[1]):
            return "x^" + self.inputs[1].name
        sym = OP_SYMBOLS.get(self.op, self.op.lower())
        if len(consts) == 1 and self.op in _INFIX:
            return f"{sym} {consts[0].name}"
        return sym

    def formula(self, i: int) -> str:
        """The op's derivative text for input ``i`` (variadic ops such as cat carry one text for all)."""
        texts = self.node.formulas
        if i < len(texts):
            return texts[i]
        if len(texts) == 1 and re.search(r"_k\b", texts[0]):
            return re.sub(r"\bk\b", str(i), texts[0].replace("_k", f"_{i}"))
        return ""

    def input_letter(self, i: int) -> str:
        names = getattr(self.node, "input_names", ("x",))
        if i < len(names):
            return names[i]
        return f"x_{i}" if len(names) == 1 else f"input{i}"


def is_scalar_const(ti) -> bool:
    """A constant number such as the 0.5 in ``0.5 * x`` (folded into the op's label in pictures)."""
    return ti is not None and ti.kind == "const" and ti.value is not None and ti.value.size == 1 and not ti.named


def op_name(node) -> str:
    """The readable name the op was written with (``Mul``, ``MatMul``; a user Function's own name)."""
    return node.op_name


def fmt_number(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if v == 0:
        return "0"
    if np.isfinite(v) and v == round(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.4g}"


def fmt_shape(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def fmt_array(a: np.ndarray, max_values: int = 8) -> str:
    """Small arrays in full (``[[-1.5], [-3], [-4.5]]``), big ones as shape/min/max/mean."""
    a = np.asarray(a)
    if a.size <= max_values:
        if a.ndim == 0:
            return fmt_number(a.item())
        return _nested(a.tolist())
    f = a.astype(np.float64)
    return (f"{fmt_shape(a.shape)} min {fmt_number(f.min())}, max {fmt_number(f.max())}, "
            f"mean {fmt_number(f.mean())}")


def _nested(x) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_nested(v) for v in x) + "]"
    return fmt_number(x)


# -- names from the caller's variables ------------------------------------------------------------------
_INTERNAL = ("chaingrad.explain._graph", "chaingrad.explain.trace", "chaingrad.explain.draw",
             "chaingrad.explain.layout", "chaingrad.explain.render",
             "chaingrad.explain", "chaingrad.autograd.gradcheck")


def caller_frame():
    """The first frame outside explain's own modules (where the user's variables live)."""
    f = sys._getframe(1)
    while f is not None and f.f_globals.get("__name__") in _INTERNAL:
        f = f.f_back
    return f


def names_from_frames(frame, depth: int = 6) -> tuple[dict, dict]:
    """Variable names of tensors: ``{id(leaf): name}`` and ``{(grad_fn, output_nr): name}``.

    The innermost frame wins; locals before globals. Module-like objects contribute their parameters
    (``model.fc1.weight``), lists and tuples their items (``params[0]``).
    """
    leaves: dict = {}
    outs: dict = {}

    def note(name: str, t: Tensor) -> None:
        if t._grad_fn is None:
            leaves.setdefault(id(t), name)
        else:
            outs.setdefault((t._grad_fn, t._output_nr), (name, t))

    f = frame
    for _ in range(depth):
        if f is None:
            break
        for scope in (f.f_locals, f.f_globals):
            for name, value in list(scope.items()):
                if name.startswith("_"):
                    continue
                if isinstance(value, Tensor):
                    note(name, value)
                elif isinstance(value, dict) and 0 < len(value) <= 64:
                    for k, v in value.items():
                        if isinstance(v, Tensor) and isinstance(k, str):
                            note(k, v)
                elif isinstance(value, (list, tuple)) and 0 < len(value) <= 64:
                    for i, v in enumerate(value):
                        if isinstance(v, Tensor):
                            note(f"{name}[{i}]", v)
                # (looked up on the type: an object's own __getattr__ may do anything, ctypes' loaders open
                # a library by the name asked for)
                elif not isinstance(value, type) and callable(getattr(type(value), "named_parameters", None)):
                    try:
                        for pname, p in value.named_parameters():
                            if isinstance(p, Tensor):
                                note(f"{name}.{pname}", p)
                    except Exception:  # noqa: BLE001 - a half-built module must not break explain
                        pass
        f = f.f_back
    return leaves, outs


def frame_constants(frame, depth: int = 6) -> list[tuple[str, Tensor]]:
    """Tensors that do not require grad, held by variables (candidates for unnamed constant inputs)."""
    found, seen = [], set()
    f = frame
    for _ in range(depth):
        if f is None:
            break
        for scope in (f.f_locals, f.f_globals):
            for name, value in list(scope.items()):
                if name.startswith("_"):
                    continue
                items = [(name, value)]
                if isinstance(value, dict) and len(value) <= 64:
                    items = [(k, v) for k, v in value.items() if isinstance(k, str)]
                for nm, v in items:
                    if isinstance(v, Tensor) and not v.requires_grad and id(v) not in seen:
                        seen.add(id(v))
                        found.append((nm, v))
        f = f.f_back
    return found


# -- the graph -----------------------------------------------------------------------------------------
class GraphView:
    """The nodes reachable from ``roots``, in the order backward visits them, with named tensors."""

    def __init__(self, roots: list[Tensor], frame=None) -> None:
        self.roots = roots
        leaf_names, out_names = names_from_frames(frame) if frame is not None else ({}, {})
        self.tensors: dict = {}
        nodes = graph_nodes([r._grad_fn for r in roots if r._grad_fn is not None])
        self.ops: list[OpInfo] = [OpInfo(n, op_name(n)) for n in nodes]  # backward order: newest first
        self.op_of = {o.node: o for o in self.ops}

        known = _known_tensors(nodes, roots)  # tensor objects we can reach: roots, saved inputs/outputs
        used_outputs: dict = {}
        for r in roots:
            if r._grad_fn is not None:
                used_outputs.setdefault(r._grad_fn, set()).add(r._output_nr)
        for node in nodes:
            for e in node.next_edges:
                if e is not None and e[1] >= 0:
                    used_outputs.setdefault(e[0], set()).add(e[1])

        counters: dict = {}
        leaf_count = 0
        root_keys = {("out", r._grad_fn, r._output_nr) if r._grad_fn is not None else ("leaf", id(r)) for r in roots}
        self._constants(leaf_names, frame)
        for info in reversed(self.ops):  # forward order: inputs are named before the ops that use them
            node = info.node
            for i, edge in enumerate(node.next_edges):
                meta = node.input_meta[i]
                if meta is None or edge is None:  # a non-tensor argument of a user Function, or a constant
                    continue
                shape, dt = meta
                if edge[1] < 0:
                    leaf = edge[0]
                    key = ("leaf", id(leaf))
                    ti = self.tensors.get(key)
                    if ti is None:
                        leaf_count += 1
                        nm = leaf._name or leaf_names.get(id(leaf))
                        ti = TensorInfo(key, nm or f"leaf{leaf_count}", tuple(shape), dt, "leaf", tensor=leaf,
                                        value=leaf._data, named=bool(nm))
                        self.tensors[key] = ti
                    info.inputs[i] = ti
                else:
                    info.inputs[i] = self._out_info(edge[0], edge[1])
            # this op's outputs
            nrs = sorted(used_outputs.get(node, {0}))
            metas = node.__dict__.get("_output_meta")
            info.outputs = [None] * max(node.num_outputs, 1)
            for nr in nrs:
                key = ("out", node, nr)
                by_var = out_names.get((node, nr))
                t = known.get((node, nr))
                if t is None and by_var:
                    t = by_var[1]
                if metas is not None and nr < len(metas) and metas[nr] is not None:
                    shape, dt = metas[nr]
                elif t is not None:
                    shape, dt = t._data.shape, t._data.dtype
                else:
                    shape, dt = None, None
                nm = (node._output_names.get(nr) or (t._name if t is not None else None)
                      or (by_var[0] if by_var else None))
                ti = TensorInfo(key, "", tuple(shape) if shape is not None else None, dt,
                                "output" if key in root_keys else "inter", tensor=t,
                                value=None if t is None else t._data, named=bool(nm))
                if nm:
                    ti.name = nm
                else:
                    ti.name, ti.compound = self._expression_name(info, nr, counters)
                self.tensors[key] = ti
                info.outputs[nr] = ti
        # shapes of outputs we could not see directly come from their consumers' input_meta
        for info in self.ops:
            for i, ti in enumerate(info.inputs):
                if ti is not None and ti.shape is None:
                    ti.shape = tuple(info.node.input_meta[i][0])
                    ti.dtype = info.node.input_meta[i][1]
        for r in roots:  # a root that is itself a leaf
            if r._grad_fn is None and ("leaf", id(r)) not in self.tensors:
                nm = r._name or leaf_names.get(id(r)) or "output"
                self.tensors[("leaf", id(r))] = TensorInfo(("leaf", id(r)), nm, tuple(r._data.shape), r._data.dtype,
                                                           "output", tensor=r, value=r._data)

    def _constants(self, leaf_names: dict, frame) -> None:
        """Inputs that need no gradient: named from saved values, else from a variable of that shape and
        dtype when exactly one fits, else ``const [shape]``."""
        pending, claimed = [], set()
        for info in self.ops:
            node = info.node
            info.inputs = [None] * len(node.next_edges)
            saved = _saved_inputs(node)
            numbers = node.numbers
            for i, edge in enumerate(node.next_edges):
                if i in numbers:  # a Python number (the 0.5 of x * 0.5): a constant named by its value
                    n = numbers[i]
                    ti = TensorInfo(("const", node, i), fmt_number(n), (), np.asarray(n).dtype, "const",
                                    value=np.asarray(n))
                    self.tensors[ti.key] = ti
                    info.inputs[i] = ti
                    continue
                meta = node.input_meta[i]
                if edge is not None or meta is None:
                    continue
                shape, dt = meta
                t = _match_saved_const(saved, shape)
                ti = TensorInfo(("const", node, i), "", tuple(shape), dt, "const", tensor=t,
                                value=None if t is None else t._data)
                if t is not None:
                    claimed.add(id(t))
                    nm = t._name or leaf_names.get(id(t))
                    if nm:
                        ti.name, ti.named = nm, True
                    elif t._data.size == 1:
                        ti.name = fmt_number(t._data.reshape(()).item())
                if not ti.name:
                    pending.append(ti)
                self.tensors[ti.key] = ti
                info.inputs[i] = ti
        if not pending:
            return
        free = [(n, t) for n, t in frame_constants(frame) if id(t) not in claimed] if frame is not None else []
        for ti in pending:
            same = [p for p in pending if p.shape == ti.shape and p.dtype == ti.dtype]
            cands = [(n, t) for n, t in free if tuple(t._data.shape) == ti.shape and t._data.dtype == ti.dtype]
            if len(cands) == 1 and len(same) == 1:
                ti.name, ti.tensor, ti.value, ti.named = cands[0][0], cands[0][1], cands[0][1]._data, True
            else:
                ti.name = "const"

    def _out_info(self, node, nr) -> TensorInfo:
        key = ("out", node, nr)
        ti = self.tensors.get(key)
        if ti is None:  # cannot happen in forward order, kept for safety
            ti = TensorInfo(key, f"{op_name(node).lower()}", None, None, "inter")
            self.tensors[key] = ti
        return ti

    def _expression_name(self, info: OpInfo, nr: int, counters: dict) -> tuple[str, bool]:
        op = info.op
        counters[op] = counters.get(op, 0) + 1
        fallback = f"{op.lower()}_{counters[op]}"
        args = []
        for ti in info.inputs:
            if ti is None:
                continue
            if ti.kind == "const" and not ti.named and not is_scalar_const(ti):
                return fallback, False  # an anonymous constant makes a poor name
            args.append((ti.name, ti.compound, ti))
        if info.node.num_outputs != 1 or not args:
            return fallback, False
        expr, compound = None, False

        def wrap(a):
            return f"({a[0]})" if a[1] else a[0]

        if op in _INFIX and len(args) == 2:
            expr, compound = f"{wrap(args[0])} {_INFIX[op]} {wrap(args[1])}", True
        elif op == "Pow" and len(args) == 2:
            expr = f"{wrap(args[0])}^{args[1][0] if args[1][2].kind == 'const' else wrap(args[1])}"
        elif op == "Neg":
            expr = f"-{wrap(args[0])}"
        elif op == "Permute" and len(args) == 1 and tuple(getattr(info.node, "dims", ())) == (1, 0):
            expr = f"{wrap(args[0])}^T"
        elif len(args) <= 3:
            expr = f"{op.lower()}({', '.join(a[0] for a in args)})"
        if expr is None or len(expr) > MAX_EXPR_NAME:
            return fallback, False
        return expr, compound

    # -- lookups -------------------------------------------------------------------------------------
    def info_of(self, t: Tensor) -> TensorInfo | None:
        if t._grad_fn is None:
            return self.tensors.get(("leaf", id(t)))
        return self.tensors.get(("out", t._grad_fn, t._output_nr))

    def leaves(self) -> list[TensorInfo]:
        return [ti for ti in self.tensors.values() if ti.key[0] == "leaf" and ti.tensor is not None
                and ti.tensor.requires_grad]


def _known_tensors(nodes, roots) -> dict:
    """``{(node, output_nr): Tensor}`` for outputs we can see: roots and tensors saved for backward."""
    known = {}
    for r in roots:
        if r._grad_fn is not None:
            known[(r._grad_fn, r._output_nr)] = r
    for node in nodes:
        for entry in node._saved or ():
            if type(entry) is tuple and entry and entry[0] is _IN and entry[1]._grad_fn is not None:
                known.setdefault((entry[1]._grad_fn, entry[1]._output_nr), entry[1])
            elif type(entry) is tuple and entry and entry[0] is _OUT:
                known.setdefault((node, entry[4]), Tensor._wrap(entry[1]))
    return known


def _saved_inputs(node) -> list[Tensor]:
    """Saved input tensors that are not in the graph (constants), in saving order."""
    out = []
    for entry in node._saved or ():
        if type(entry) is tuple and entry and entry[0] is _IN and not entry[1].requires_grad:
            out.append(entry[1])
    return out


def _match_saved_const(saved: list, shape) -> Tensor | None:
    for j, t in enumerate(saved):
        if tuple(t._data.shape) == tuple(shape):
            return saved.pop(j)
    return None


# -- running the engine for explain and draw -------------------------------------------------------------
def summed_dims(from_shape: tuple, to_shape: tuple) -> tuple:
    """The dims the engine summed to un-broadcast a gradient of ``from_shape`` to ``to_shape``."""
    return broadcast_axes(tuple(from_shape), tuple(to_shape)) or ()


def observe_backward(view: GraphView, output: Tensor, gradient, observer, freed: str) -> list:
    """Run the engine's backward walk from ``output`` with ``observer`` watching every step, touching no
    ``.grad`` (retain_grad() tensors included); returns the gradient of each of ``view.leaves()``.

    ``freed`` is the error message for a graph whose saved values backward() already freed."""
    leaves = view.leaves()
    if not leaves or output._grad_fn is None:
        return []
    (g0,) = root_grads([output], [gradient], False)
    retained = [(o.node, o.node._retained) for o in view.ops if o.node._retained]
    for node, _ in retained:  # retain_grad() tensors would get .grad from this run: switch them off meanwhile
        node._retained = None
    try:
        return run_backward([output], [g0], retain_graph=True, inputs=[ti.tensor for ti in leaves],
                            accumulate=False, observer=observer)
    except RuntimeError as err:
        if "second time" in str(err):
            raise RuntimeError(freed) from err
        raise
    finally:
        for node, r in retained:
            node._retained = r
