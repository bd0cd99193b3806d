"""Nodes of the recorded graph, and ``apply``, which runs an op and records its node.

Every differentiable operation is a subclass of ``Node``. Its ``forward(ctx, *arrays, **params)`` computes on
NumPy arrays; its ``backward(ctx, *grads)`` returns one gradient per input, written with operations that
Tensors have (so that ``create_graph=True`` records the backward pass and gives higher derivatives); its
``formulas`` say the same in words, and ``chaingrad.explain`` prints them beside the numbers. The node *is*
the ctx: whatever forward saves on it, backward reads.
"""

from __future__ import annotations

import itertools
import types
import weakref

import numpy as np

from ..tensor import Tensor, _HookHandle
from .grad_mode import state

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
    #: what ``name()`` puts before the class name: torch's hand-written nodes carry their C++ namespace
    #: (``type(fn).__name__`` is ``CopySlices``, ``fn.name()`` is ``torch::autograd::CopySlices``)
    name_prefix: str = ""

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
                    t._grad_fn, t._output_nr = self, nr
                    out.append(t)
            elif kind is _ndarray and not arrays:
                out.append(_wrap(value))  # an array forward computed: a constant
            else:
                out.append(value)
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
        return self.name_prefix + type(self).__name__

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


class _UnrecordedCtx:
    """The ctx of every call that records nothing: no input needs a gradient, saving does nothing, and
    what forward stores on it is dropped after the call (forward only stores values for backward, it never
    reads them back)."""

    needs_input_grad = (False,) * 64  # (more inputs than a forward looks at)

    def save_for_backward(self, *values) -> None:
        pass


_UNRECORDED = _UnrecordedCtx()
_UNRECORDED_STORE = _UNRECORDED.__dict__  # what forwards stored on it, emptied after each call


# -- running an op --------------------------------------------------------------------------------------
def apply(op: type[Node], *inputs, **params):
    """Run ``op``'s forward on the inputs' arrays; record a node when grad mode is on and an input requires grad.

    Inputs are Tensors, or Python numbers where the op takes them (the arithmetic ops: ``x * 0.5``). When
    nothing is recorded, forward gets ``_UNRECORDED`` as its ctx.

    Speed: this and ``_record`` spell out the calls with one or two inputs, nearly every op, without the
    loops and lists of the general case (``_arguments``), and unrecorded calls share one ctx instead of
    making a node each; together a sixth of a small op's cost (a tenth of the hand-derived seed's epoch).
    Tested against the general case in tests/test_fast_paths.py.
    """
    n = len(inputs)
    if n == 2:
        x, y = inputs
        xt, yt = isinstance(x, Tensor), isinstance(y, Tensor)
        if state.enabled and ((xt and x.requires_grad) or (yt and y.requires_grad)):
            return _record(op, inputs, params)
        ctx = _UNRECORDED
        xa, ya = x._data if xt else x, y._data if yt else y
        out = op.forward(ctx, xa, ya, **params) if params else op.forward(ctx, xa, ya)
    elif n == 1:
        x = inputs[0]
        if state.enabled and x.requires_grad:
            return _record(op, inputs, params)
        ctx = _UNRECORDED
        out = op.forward(ctx, x._data, **params) if params else op.forward(ctx, x._data)
    else:
        if state.enabled:
            for t in inputs:
                if isinstance(t, Tensor) and t.requires_grad:
                    return _record(op, inputs, params)
        ctx = _UNRECORDED
        out = op.forward(ctx, *[t._data if isinstance(t, Tensor) else t for t in inputs], **params)
    if _UNRECORDED_STORE:
        _UNRECORDED_STORE.clear()  # nothing of an unrecorded call is kept
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
            result._grad_fn = node
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
            r._grad_fn, r._output_nr = node, nr
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
    if t._grad_fn is not None:
        return (t._grad_fn, t._output_nr)
    if t.requires_grad:
        return (t, -1)
    return None


# -- views: outputs sharing memory with their input share its version counter and know their base ------------
def _link_view(src: Tensor, r: Tensor, op, params) -> None:
    """Make ``r`` a view of ``src``'s base, if its array really shares ``src``'s memory (reshape may copy)."""
    a, s = r._data, src._data
    # (NumPy's .base is the array that owns the memory; an empty view shares none, but is a view all the same)
    if a.base is not s and (a.base is None or a.base is not s.base) and not np.may_share_memory(a, s):
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
        from ..ops.as_strided import regenerate_view  # (an op: the view made again, as torch, in one node)

        fresh = regenerate_view(t._view[0], base)
        t._grad_fn, t._output_nr, t.requires_grad = fresh._grad_fn, fresh._output_nr, fresh.requires_grad
    t._view[1] = t._version[0]
