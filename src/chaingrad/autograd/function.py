"""Nodes of the recorded graph, ``apply`` that runs an op and records its node, and the user-facing ``Function``.

Every differentiable operation is a subclass of ``Node``. Its ``forward(ctx, *arrays, **params)`` computes on
NumPy arrays; its ``backward(ctx, *grads)`` returns one gradient per input, written with operations that
Tensors have (so that ``create_graph=True`` records the backward pass and gives higher derivatives); its
``formulas`` say the same in words, and ``chaingrad.explain`` prints them beside the numbers. The node *is*
the ctx: whatever forward saves on it, backward reads.
"""

from __future__ import annotations

import itertools
import types
import warnings
import weakref

import numpy as np

from ..tensor import Tensor, _HookHandle
from .grad_mode import no_grad, state

_seq = itertools.count()
_ndarray, _generic, _asarray, _wrap = np.ndarray, np.generic, np.asarray, Tensor._wrap  # (read on every op)

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward.")

# A saved array that is an input's becomes ``(_IN, tensor, its version)``, an output's ``(_OUT, array, version
# counter, version, output_nr)``; any other saved value (a constant) is kept as it is.
_IN, _OUT = "saved input", "saved output"



class _Freed(tuple):
    """The type of ``_FREED``: what a node's ``_saved`` becomes once backward has released its saved values."""


#: empty like "nothing saved", but tells ``saved_tensors`` that backward already freed the values
_FREED = _Freed()


class Node:
    """A recorded operation: the ``grad_fn`` of its outputs, and the ctx its forward and backward share.

    ``next_edges[i]`` is where input i's gradient goes: ``(node, output_nr)`` for an op's output, ``(leaf, -1)``
    for a leaf that requires grad, None for an input that needs no gradient. ``input_meta[i]`` is that input's
    ``(shape, dtype)``, to which the engine un-broadcasts and casts its gradient; for a Python number (the
    0.5 of ``x * 0.5``), the number itself (see ``numbers``).
    """

    __slots__ = ("next_edges", "input_meta", "needs_input_grad", "_saved", "_seq", "_arrays", "__dict__",
                 "__weakref__")

    #: derivative formulas, one per input, shown by ``explain`` (e.g. ``"dL/da = dL/dout * b"``)
    formulas: tuple[str, ...] = ()
    #: names of the inputs used in ``formulas``
    input_names: tuple[str, ...] = ("x",)
    #: how many outputs forward returns
    num_outputs: int = 1
    #: True when the output shares memory with the first input (reshape, transpose, slicing ...)
    is_view: bool = False
    #: True when ``backward`` uses only what NumPy arrays and Tensors share (operators, ``.mT``, ``.reshape``,
    #: ``.shape``), so that the engine may run it on plain arrays (``saved_tensors`` then gives arrays). With
    #: ``create_graph=True`` it gets Tensors like every other node. See autograd/engine.py.
    backward_on_arrays: bool = False
    #: True when forward and backward also take a Python number for an input (the arithmetic ops): ``x * 0.5``
    #: then records the number itself (see ops/_dispatch.py) and ``explain`` shows it in the formula
    takes_numbers: bool = False
    #: outputs that received no gradient reach backward as zeros (``set_materialize_grads(False)``: as None)
    materialize_grads: bool = True

    # Hooks and names are rare: they live at class level until one is set (a node then gets its own value).
    _output_names = types.MappingProxyType({})  # {output_nr: name} (Tensor.name's setter makes a node's own dict)
    _hooked = False  # True once any of the three below is set (the walk looks at them only then)
    _retained = None  # {output_nr: weakref to the tensor that called retain_grad()}
    _tensor_hooks = None  # {output_nr: [hooks registered with Tensor.register_hook on that output]}
    _prehooks = None  # [hook(grad_outputs)], Node.register_prehook
    _posthooks = None  # [hook(grad_inputs, grad_outputs)], Node.register_hook
    _trace = None  # the forward call's stack, recorded in anomaly mode

    # -- names: an op is written as ``class Mul(Node)`` and known by two names ---------------------------
    #: the readable name the class was written with (``Mul``, ``MatMul``): what explain, draw and the
    #: derivatives table show
    op_name: str = "Node"
    #: torch's name for the node (``MulBackward0``, ``MmBackward0``): the class's ``__name__``, so that
    #: ``type(t.grad_fn).__name__`` and ``t.grad_fn.name()`` print what they print under torch. Given in the
    #: class body, or the op name + "Backward0"
    torch_name: str = ""
    #: inputs that ``next_functions`` leaves out, as torch has no edge for them (``where``'s condition)
    unlisted_inputs: tuple[int, ...] = ()
    #: False where torch keeps no edge for a Python-number input (the 2 of ``x ** 2``); ``x * 0.5`` keeps one
    lists_numbers: bool = True

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "op_name" not in cls.__dict__:
            cls.op_name = cls.__name__
        if not cls.__dict__.get("torch_name"):
            cls.torch_name = cls.op_name + "Backward0"
        cls.__name__ = cls.torch_name  # (``__qualname__`` keeps the written name: inspect finds the source by it)

    @classmethod
    def named(cls, torch_name: str, **attributes) -> type[Node]:
        """The same op under another of torch's node names (torch calls ``sum()``'s node SumBackward0 and
        ``sum(dim)``'s SumBackward1; one derivative): a subclass that differs only in its name (and the given
        class attributes, such as ``unlisted_inputs``), made once."""
        key = (torch_name, tuple(sorted(attributes.items())))
        variants = cls.__dict__.get("_variants")
        if variants is None:
            variants = {}
            cls._variants = variants
        variant = variants.get(key)
        if variant is None:
            namespace = {"torch_name": torch_name, "op_name": cls.op_name, "__module__": cls.__module__,
                         "__slots__": (), **attributes}
            variant = variants[key] = type(cls)(torch_name, (cls,), namespace)
        return variant

    def forward(ctx, *arrays, **params):  # noqa: N805 - ctx is the node itself, as in torch
        raise NotImplementedError

    def backward(ctx, *grads):  # noqa: N805
        raise NotImplementedError

    # -- saving values for backward -----------------------------------------------------------------
    def save_for_backward(self, *values) -> None:
        """Keep values until backward (arrays in built-in ops; numbers and tuples too); freed after backward."""
        self._saved = values

    @property
    def saved_tensors(self) -> tuple:
        """What forward saved: an input's array as that input tensor, the output's array as the output
        (so that higher derivatives flow through them), other arrays as constant tensors, anything else
        as it was. Arrays instead of tensors while backward runs on arrays."""
        saved = self._saved
        if not saved:
            if saved is _FREED:
                raise RuntimeError(FREED_MESSAGE)
            return ()
        arrays = self._arrays
        out = []
        for value in saved:
            kind = type(value)
            if kind is tuple and value and value[0] is _IN:
                _, t, version = value
                if t._version[0] != version:
                    raise RuntimeError(_modified_message(self, t, version))
                out.append(t._data if arrays else t)
            elif kind is tuple and value and value[0] is _OUT:
                _, a, counter, version, nr = value
                if counter[0] != version:
                    raise RuntimeError(_modified_message(self, _wrap(a), version, counter[0]))
                if arrays:
                    out.append(a)
                else:
                    t = _wrap(a, a.dtype.kind == "f")
                    t.grad_fn, t._output_nr = self, nr
                    out.append(t)
            elif kind is _ndarray and not arrays:
                out.append(_wrap(value))  # an array forward computed: a constant
            else:
                out.append(value._data if arrays and kind is not _ndarray and isinstance(value, Tensor) else value)
        return tuple(out)

    def _resolve_saved(self, inputs, outputs, returned) -> None:
        """Make the saved arrays that are an input's or an output's references to that tensor (anything else
        stays as it is: a constant). ``returned`` is what forward returned for ``outputs`` (a NumPy scalar
        where the output holds a 0-d array)."""
        resolved = []
        for value in self._saved:
            if type(value) is _ndarray or isinstance(value, _generic):
                for t in inputs:
                    if isinstance(t, Tensor) and t._data is value:
                        value = (_IN, t, t._version[0])
                        break
                else:
                    nr = 0
                    for r in returned:
                        if r is value and outputs[nr] is not None:
                            o = outputs[nr]
                            value = (_OUT, o._data, o._version, o._version[0], nr)
                            break
                        nr += 1
            resolved.append(value)
        self._saved = resolved

    def _release(self) -> None:
        if self._saved is not None:
            self._saved = _FREED

    # -- introspection (torch's names) ----------------------------------------------------------------
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def next_functions(self) -> tuple:
        """Where each input's gradient goes, as torch lists it: ``(node, output_nr)``, ``(AccumulateGrad, 0)``
        for a leaf, ``(None, 0)`` for an input that needs no gradient (inputs torch has no edge for left out)."""
        out = []
        metas = self.input_meta
        for i, edge in enumerate(self.next_edges):
            if i in self.unlisted_inputs or (not self.lists_numbers and type(metas[i]) is not tuple):
                continue
            if edge is None:
                out.append((None, 0))
            elif edge[1] < 0:
                out.append((AccumulateGrad.of(edge[0]), 0))
            else:
                out.append(edge)
        return tuple(out)

    @property
    def metadata(self) -> dict:
        return self.__dict__

    @property
    def numbers(self) -> dict:
        """The Python numbers among the inputs, by position (``x * 0.5`` records Mul with {1: 0.5})."""
        return {i: m for i, m in enumerate(self.input_meta) if type(m) is float or type(m) is int}

    @classmethod
    def formula_for(cls, i: int) -> str:
        return cls.formulas[i] if i < len(cls.formulas) else ""

    # -- hooks ----------------------------------------------------------------------------------------
    def register_hook(self, hook):
        """``hook(grad_inputs, grad_outputs)`` after this node's backward ran (``grad_inputs`` already in the
        inputs' shapes); a tuple it returns replaces ``grad_inputs``. Returns a handle with ``.remove()``."""
        if self._posthooks is None:
            self._posthooks = []
        self._posthooks.append(hook)
        return _HookHandle(self._posthooks, hook)

    def register_prehook(self, hook):
        """``hook(grad_outputs)`` before this node's backward runs; a tuple it returns replaces ``grad_outputs``."""
        if self._prehooks is None:
            self._prehooks, self._hooked = [], True
        self._prehooks.append(hook)
        return _HookHandle(self._prehooks, hook)

    def _retain(self, tensor: Tensor) -> None:
        if self._retained is None:
            self._retained, self._hooked = {}, True
        self._retained[tensor._output_nr] = weakref.ref(tensor)

    def _add_tensor_hook(self, nr: int, hook):
        if self._tensor_hooks is None:
            self._tensor_hooks, self._hooked = {}, True
        hooks = self._tensor_hooks.setdefault(nr, [])
        hooks.append(hook)
        return _HookHandle(hooks, hook)


def _modified_message(node: Node, t: Tensor, saved_version: int, now: int | None = None) -> str:
    now = t._version[0] if now is None else now
    return (
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{t.dtype} {list(t._data.shape)}] is at version {now}; expected version {saved_version} instead. "
        f"It was saved by {node.name()}. Hint: replace the in-place operation (x += ..., x.mul_(...), "
        "x[...] = ...) by an out-of-place one (x = x + ...), or clone the tensor before modifying it.")


class AccumulateGrad:
    """Shown in ``next_functions`` for a leaf: the place its gradient is added to ``.grad``."""

    __slots__ = ("variable", "__weakref__")
    # one per leaf while someone holds it, as torch (keyed by the leaf's id: a node keeps its leaf alive)
    _of: weakref.WeakValueDictionary = weakref.WeakValueDictionary()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    @classmethod
    def of(cls, leaf: Tensor) -> AccumulateGrad:
        node = cls._of.get(id(leaf))
        if node is None or node.variable is not leaf:
            node = cls._of[id(leaf)] = cls(leaf)
        return node

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    next_functions = ()

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


# -- running an op --------------------------------------------------------------------------------------
def apply(op: type[Node], *inputs, **params):
    """Run ``op``'s forward on the inputs' arrays; record a node when grad mode is on and an input requires grad.

    Inputs are Tensors, or Python numbers where the op takes them (the arithmetic ops: ``x * 0.5``). When
    nothing is recorded, forward still gets a node of the op as its ctx, dropped afterwards.

    Speed: this and ``_record`` spell out the calls with one or two tensors, nearly every op of a graph,
    without the loops and lists of the general case (``_arguments``): they are a sixth of a small op's
    cost. Tested against the general case in tests/test_fast_paths.py.
    """
    if state.enabled:
        for t in inputs:
            if isinstance(t, Tensor) and t.requires_grad:
                return _record(op, inputs, params)
    ctx = object.__new__(op)
    ctx._saved = None
    ctx.needs_input_grad = (False,) * len(inputs)
    if len(inputs) == 2 and not params:
        x, y = inputs
        out = op.forward(ctx, x._data if isinstance(x, Tensor) else x, y._data if isinstance(y, Tensor) else y)
    else:
        out = op.forward(ctx, *[t._data if isinstance(t, Tensor) else t for t in inputs], **params)
    if op.num_outputs == 1:
        result = _wrap(out if type(out) is _ndarray else _asarray(out))
        if op.is_view:
            _link_view(inputs[0], result, op, params)
        return result
    results = tuple(None if o is None else _wrap(o if type(o) is _ndarray else _asarray(o)) for o in out)
    if op.is_view:
        for r in results:
            _link_view(inputs[0], r, op, params)
    return results


def _record(op: type[Node], inputs, params):
    node = object.__new__(op)
    node._saved = None
    node._arrays = False
    n = len(inputs)
    if n == 2 and isinstance(inputs[0], Tensor) and isinstance(inputs[1], Tensor):
        x, y = inputs
        xa, ya = x._data, y._data
        node.needs_input_grad = (x.requires_grad, y.requires_grad)
        node.next_edges = (_edge(x), _edge(y))
        node.input_meta = ((xa.shape, xa.dtype), (ya.shape, ya.dtype))
        out = op.forward(node, xa, ya, **params) if params else op.forward(node, xa, ya)
    elif n == 1 and isinstance(inputs[0], Tensor):
        x = inputs[0]
        xa = x._data
        node.needs_input_grad = (x.requires_grad,)
        node.next_edges = (_edge(x),)
        node.input_meta = ((xa.shape, xa.dtype),)
        out = op.forward(node, xa, **params) if params else op.forward(node, xa)
    elif n == 2 and isinstance(inputs[0], Tensor) and not params:  # a tensor and a number: x * 0.5, x ** 2
        x, number = inputs
        xa = x._data
        node.needs_input_grad = (x.requires_grad, False)
        node.next_edges = (_edge(x), None)
        node.input_meta = ((xa.shape, xa.dtype), number)
        out = op.forward(node, xa, number)
    else:
        out = op.forward(node, *_arguments(node, inputs), **params)
    node._seq = next(_seq)
    if state.anomaly:
        from .anomaly import record_trace

        record_trace(node)
    if op.num_outputs == 1:
        a = out if type(out) is _ndarray else _asarray(out)  # NumPy gives scalars for 0-d results
        result = _wrap(a, a.dtype.kind == "f")
        if result.requires_grad:
            result.grad_fn = node
        if op.is_view:
            _link_view(inputs[0], result, op, params)
        if node._saved:
            node._resolve_saved(inputs, (result,), (out,))
        return result
    results = []  # the same for each of several outputs
    for nr, o in enumerate(out):
        if o is None:  # an output this call was told not to compute (Conv2dBackward's ``need``)
            results.append(None)
            continue
        o = o if type(o) is _ndarray else _asarray(o)
        r = _wrap(o, o.dtype.kind == "f")
        if r.requires_grad:
            r.grad_fn, r._output_nr = node, nr
        if op.is_view:
            _link_view(inputs[0], r, op, params)
        results.append(r)
    node.__dict__["_output_meta"] = tuple(None if r is None else (r._data.shape, r._data.dtype) for r in results)
    if node._saved:
        node._resolve_saved(inputs, results, out)
    return tuple(results)


def _arguments(node: Node, inputs) -> list:
    """What backward needs of each input, set on ``node``; returns what forward gets (arrays and numbers).

    For each input: is its gradient wanted (as apply saw it, before ``_edge`` refreshes a stale view), the
    edge its gradient follows (its grad_fn, or the leaf itself), and its shape and dtype (to un-broadcast
    and cast that gradient). A Python number needs none of these: its meta is the number itself.
    """
    needs, edges, metas, values = [], [], [], []
    for t in inputs:
        if isinstance(t, Tensor):
            needs.append(t.requires_grad)
            edges.append(_edge(t))
            metas.append((t._data.shape, t._data.dtype))
            values.append(t._data)
        else:
            needs.append(False)
            edges.append(None)
            metas.append(t)
            values.append(t)
    node.needs_input_grad, node.next_edges, node.input_meta = tuple(needs), tuple(edges), tuple(metas)
    return values


def _edge(t: Tensor):
    if t._base is not None and t._view[1] != t._version[0]:
        _refresh_view(t)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t.requires_grad:
        return (t, -1)
    return None


# -- views: outputs sharing memory with their input share its version counter and know their base ------------
def _link_view(src: Tensor, r: Tensor, op, params) -> None:
    """Make ``r`` a view of ``src``'s base, if its array really shares ``src``'s memory (reshape may copy)."""
    a = r._data
    if not (a.base is src._data and a.size) and not np.may_share_memory(a, src._data):
        return
    r._version = src._version
    if src._base is None:
        r._base, r._view = src, [(None, op, params), src._version[0]]
    else:
        r._base, r._view = src._base, [(src._view[0], op, params), src._version[0]]


def replay_view(chain, t: Tensor) -> Tensor:
    """Apply to ``t`` the view ops that made a view from its base (``chain`` from ``view._view[0]``)."""
    links = []
    while chain is not None:
        links.append(chain)
        chain = chain[0]
    for _, op, params in reversed(links):
        t = apply(op, t, **params)
    return t


def _refresh_view(t: Tensor) -> None:
    """The base (or a sibling view) was modified in place: make ``t``'s grad_fn a view of the base as it is now."""
    base = t._base
    if base.requires_grad and state.enabled:
        fresh = replay_view(t._view[0], base)
        t.grad_fn, t._output_nr, t.requires_grad = fresh.grad_fn, fresh._output_nr, fresh.requires_grad
    t._view[1] = t._version[0]


# -- user-defined operations, torch.autograd.Function style ------------------------------------------
class FunctionCtx(Node):
    """The ctx of a user ``Function``: forward and backward receive and return Tensors."""

    _fn_cls: type = None  # set per subclass

    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save tensors or None, got {type(t).__name__}")
        self._saved = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Outputs that get no gradient (indices, masks): they do not require grad."""
        self.__dict__.setdefault("_non_diff", set()).update(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        """Inputs that forward modified in place; each must be returned as an output (torch's rules)."""
        self.__dict__["_dirty"] = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward gets None (not zeros) for outputs that received no gradient."""
        self.materialize_grads = bool(value)

    def backward(self, *grads):
        return self._fn_cls.backward(self, *grads)

    @property
    def formulas(self) -> tuple[str, ...]:  # type: ignore[override]
        text = getattr(self._fn_cls, "formula", None) or f"user-defined {self._fn_cls.__name__}.backward"
        return (text,) * len(self.next_edges)

    def formula_for(self, i: int) -> str:  # type: ignore[override]
        return self.formulas[i] if self.formulas else ""


class _FunctionMeta(type):
    def __init__(cls, name, bases, namespace):
        super().__init__(name, bases, namespace)
        # torch's name for a Function's node: the Function's name + "Backward" (``LegendrePolynomial3Backward``)
        cls._backward_cls = type(name + "Backward", (FunctionCtx,),
                                 {"_fn_cls": cls, "op_name": name, "torch_name": name + "Backward"})


class Function(metaclass=_FunctionMeta):
    """Define an operation by its forward and backward, as ``torch.autograd.Function``.

    >>> class Cube(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return grad * 3 * x ** 2
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must implement backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args, **kwargs):
        record = state.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = object.__new__(cls._backward_cls)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx._saved = None
        ctx._arrays = False
        if record:  # the edges before forward runs: an input it modifies in place keeps the history it had
            ctx.next_edges = tuple(_edge(a) if isinstance(a, Tensor) else None for a in args)
            ctx.input_meta = tuple((a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None for a in args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        dirty = ctx.__dict__.get("_dirty", ())
        _check_dirty(cls, dirty, args, outs, record)
        if not record:
            return out
        ctx._seq = next(_seq)
        if state.anomaly:
            from .anomaly import record_trace

            record_trace(ctx)
        non_diff = ctx.__dict__.get("_non_diff", ())
        wrapped = [_function_output(ctx, nr, o, non_diff, dirty) for nr, o in enumerate(outs)]
        ctx.__dict__["_output_meta"] = tuple(
            (o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outs)
        ctx.num_outputs = len(outs)
        if ctx._saved is not None:
            ctx._saved = tuple(_function_saved_ref(t, outs, wrapped) for t in ctx._saved)
        return wrapped[0] if single else tuple(wrapped)


def _check_dirty(cls, dirty, args, outs, record: bool) -> None:
    """``mark_dirty`` as torch checks it; each dirty tensor's version moves on (it was changed in place)."""
    for t in dirty:
        if not any(t is a for a in args):
            warnings.warn("Only input Tensors should be given to ctx.mark_dirty(). If a Tensor is not an input, "
                          "there is no need to pass it to mark_dirty().", stacklevel=3)
        if not any(t is o for o in outs):
            raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. "
                               "The inputs that are modified inplace must all be outputs of the Function.")
        leaf = t if t._base is None else t._base
        if record and leaf.requires_grad and leaf.grad_fn is None:
            raise RuntimeError(f"a leaf Variable that requires grad has been used in an in-place operation "
                               f"({cls.__name__}.forward marked it dirty); clone it before the call")
        if record and t._base is not None and len(outs) > 1:
            raise RuntimeError("If your Function modifies inplace an input that is a view of another Tensor, your "
                               "Function cannot return more than one Tensor. Clone the input before the call.")
        t._version[0] += 1


def _function_output(ctx: FunctionCtx, nr: int, o, non_diff, dirty):
    """Output ``nr`` of a recorded Function: a tensor whose grad_fn is ``ctx`` (unless non-differentiable)."""
    if not isinstance(o, Tensor):
        return o
    differentiable = id(o) not in non_diff and o._data.dtype.kind == "f"
    if any(o is t for t in dirty):  # the input itself now holds the result: its history continues here
        if o._base is not None:
            from ..ops.inplace import _rebase

            r = Tensor._wrap(o._data, True)
            r.grad_fn, r._output_nr, r._version = ctx, nr, o._version
            _rebase(o, o._base, r)
            o._view[1] = o._version[0]
            return o
        o._grad = None
        o.requires_grad, o.grad_fn, o._output_nr = differentiable, (ctx if differentiable else None), nr
        return o
    r = Tensor._wrap(o._data)
    r._version = o._version
    if differentiable:
        r.requires_grad, r.grad_fn, r._output_nr = True, ctx, nr
    return r


def _function_saved_ref(t, outs, wrapped):
    if t is None:
        return None
    for nr, o in enumerate(outs):
        if t is o:
            r = wrapped[nr]
            return (_OUT, r._data, r._version, r._version[0], nr)
    return (_IN, t, t._version[0])


class DelayedError(Node):
    """Stands after the gradients of a ``once_differentiable`` backward: differentiating them again fails."""

    formulas = ("not differentiable: the backward was marked @once_differentiable",)

    def forward(ctx, *arrays):
        return arrays if len(arrays) > 1 else arrays[0]

    def backward(ctx, *grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


_delayed_classes: dict[int, type] = {}


def once_differentiable(fn):
    """Mark a Function's backward as not differentiable itself (torch's decorator).

    The backward runs with recording off; with ``create_graph=True`` its results come out of a node whose
    backward raises, so asking for a higher derivative fails clearly instead of silently giving zeros.
    """
    import functools

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        with no_grad():
            out = fn(ctx, *grads)
        if not (state.enabled and any(isinstance(g, Tensor) and g.requires_grad for g in grads)):
            return out
        outs = out if isinstance(out, tuple) else (out,)
        present = [i for i, o in enumerate(outs) if isinstance(o, Tensor)]
        if not present:
            return out
        n = len(present)
        cls = _delayed_classes.get(n)
        if cls is None:
            cls = _delayed_classes[n] = type("DelayedError", (DelayedError,), {"num_outputs": n})
        fakes = [outs[i].detach().requires_grad_(outs[i]._data.dtype.kind == "f") for i in present]
        errs = apply(cls, *fakes)
        errs = errs if isinstance(errs, tuple) else (errs,)
        result = list(outs)
        for i, e in zip(present, errs):
            result[i] = e
        return tuple(result) if isinstance(out, tuple) else result[0]

    return wrapper
