"""The few helpers the generated code calls besides the ops' own ``forward`` and ``backward``.

Each does exactly what the eager walk does at that point (autograd/engine.py), so that a replay makes the
same NumPy calls in the same order as eager chaingrad.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.grad_mode import state
from ..autograd.gradients import Arrays, unbroadcast
from ..autograd.node import _FREED, FREED_MESSAGE, Node
from ..autograd.node import _seq as _node_seq
from ..ops.reduce import _spread as spread  # (Sum's backward, written inline)
from ..tensor import Tensor

_ndarray = np.ndarray
wrap = Tensor._wrap
accumulate = Arrays.accumulate  # leaf.grad += g (out of place), as the walk does
__all__ = ["accumulate", "attach", "ctx", "grads", "grads_of_tensors", "output", "spread", "unbroadcast", "wrap"]


def ctx(op: type[Node], needs: tuple, meta: tuple, arrays: bool) -> Node:
    """A fresh ctx for one call of ``op``: what its forward saves, its backward reads."""
    # Any: Node's fields are untyped __slots__ that apply() fills in, as here, without __init__
    c: Any = object.__new__(op)
    c._saved, c._arrays, c.needs_input_grad, c.input_meta = None, arrays, needs, meta
    return c


def grads(raw, n: int) -> tuple:
    """What a backward returned, as the walk takes it: a tuple of n arrays (or None); NumPy scalars of 0-d
    arithmetic become 0-d arrays (``Arrays.result``)."""
    if type(raw) is not tuple:
        raw = tuple(raw) if isinstance(raw, list) else (raw,)
    if len(raw) != n:
        raw = raw[:n]  # (the trace checked that the extra ones are None)
    out = []
    for g in raw:
        if g is not None and type(g) is not _ndarray:
            g = g._data if isinstance(g, Tensor) else np.asarray(g)
        out.append(g)
    return tuple(out)


def grads_of_tensors(c: Node, grads_out: tuple, n: int) -> tuple:
    """The backward of an op that works on Tensors (``backward_on_arrays`` False), with recording off, as the
    walk runs it without create_graph."""
    prev = state.enabled
    state.enabled = False
    try:
        raw = c.backward(*[None if g is None else wrap(g) for g in grads_out])
    finally:
        state.enabled = prev
    return grads(raw, n)


def _compiled_output_class() -> type[Node]:
    class CompiledOutput(Node):
        """The ``grad_fn`` of a replay's output that requires grad: backpropagating through it is not captured.
        (Made here, not at module level: it is no op of the derivatives table.)"""

        input_names = ("the compiled function's inputs",)
        formulas = ("not captured: call backward inside the compiled function",)

        def backward(ctx, *grads):  # noqa: N805
            raise NotImplementedError(
                "backward through the output of a function compiled with chaingrad.compile is not supported: "
                "call loss.backward() inside the compiled function (a whole training step), or do not compile it")

    return CompiledOutput


COMPILED_OUTPUT = _compiled_output_class()


def _compiled_backward_class() -> type[Node]:
    class CompiledBackward(Node):
        """The ``grad_fn`` of a compiled forward's outputs: its backward is the generated backward code, which
        returns one gradient per delivery to a leaf (``next_edges``), in the order eager's walk delivers them."""

        torch_name = "CompiledBackward"  # (torch's name for a compiled graph's node is CompiledFunctionBackward)
        input_names = ("the leaves",)
        formulas = ("the compiled function's backward (see its .code)",)
        backward_on_arrays = True

        def backward(ctx, *grads):  # noqa: N805
            if ctx._saved is _FREED:
                raise RuntimeError(FREED_MESSAGE)
            if any(isinstance(g, Tensor) for g in grads):
                raise NotImplementedError("backward(create_graph=True) through a function compiled with "
                                          "chaingrad.compile is not supported: call it without compiling")
            return ctx.fn(*grads)

    return CompiledBackward


COMPILED_BACKWARD = _compiled_backward_class()


def attach(fn, arrays: tuple, leaves: tuple) -> list:
    """Tensors for the outputs of a compiled forward, whose grad_fn runs ``fn`` (the generated backward)."""
    node: Any = object.__new__(COMPILED_BACKWARD)  # (untyped __slots__, filled in as apply() does)
    node._saved, node._arrays, node.fn = (), False, fn  # (the walk frees _saved after backward)
    node.next_edges = tuple((t, -1) for t in leaves)
    node.input_meta = tuple((t._data.shape, t._data.dtype) for t in leaves)
    node.needs_input_grad = (True,) * len(leaves)
    node.num_outputs = len(arrays)
    node._seq = next(_node_seq)
    outs = []
    for i, a in enumerate(arrays):
        t: Any = wrap(a if type(a) is _ndarray else np.asarray(a), True)  # (grad_fn: typed None by _wrap)
        t._grad_fn, t._output_nr = node, i
        outs.append(t)
    node.__dict__["_output_meta"] = tuple((t._data.shape, t._data.dtype) for t in outs)
    return outs


def _compiled_output_node() -> Node:
    node: Any = object.__new__(COMPILED_OUTPUT)  # (untyped __slots__, filled in as apply() does)
    node._saved, node._arrays, node.next_edges, node.input_meta = None, False, (), ()
    node.needs_input_grad, node._seq = (), -1
    return node


#: Speed: one node for every such output (a node per call cost a fifth of the call overhead of the seed's step);
#: it holds nothing and its backward only raises
_OUTPUT_NODE = _compiled_output_node()


def output(a: np.ndarray, requires_grad: bool) -> Tensor:
    """A returned tensor around ``a``; one that requires grad gets the ``CompiledOutput`` node as its grad_fn."""
    t: Any = wrap(a if type(a) is _ndarray else np.asarray(a), requires_grad)  # (grad_fn: typed None by _wrap)
    if requires_grad:
        t._grad_fn = _OUTPUT_NODE
    return t
