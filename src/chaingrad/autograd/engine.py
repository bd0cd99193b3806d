"""The backward pass: walk the recorded nodes from the output back to the leaves.

Nodes are numbered as they are created, and an operation's inputs always exist before it does, so
visiting the nodes of a graph in decreasing creation number is a topological order: every node runs
after all the nodes that consumed its output. No recursion, so a 100,000-op chain is fine.

This is also the one place where a gradient is summed back over broadcast dimensions ("un-broadcast")
and cast to its input's dtype; ops return gradients in the shape of their output's arithmetic.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Sequence

import numpy as np

from ..tensor import Tensor
from .function import _FREED
from .grad_mode import state

_getrefcount = sys.getrefcount


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _root_grads(outputs: list[Tensor], grads: list, create_graph: bool) -> list[Tensor]:
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(grads)} gradients for {len(outputs)} outputs; give one gradient per output")
    result = []
    for i, (t, g) in enumerate(zip(outputs, grads)):
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: outputs must be Tensors, got {type(t).__name__} at index {i}")
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn: nothing in the "
                "computation of this tensor required grad (create leaves with requires_grad=True, and do not "
                "compute under no_grad())")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs, but the output has shape "
                    f"{list(t._data.shape)}; call .sum() first or pass gradient= of that shape")
            g = np.empty(t._data.shape, t._data.dtype)
            g.fill(1)  # (np.ones is a Python function around these two calls)
            g = Tensor._wrap(g)
        elif not isinstance(g, Tensor):
            g = Tensor._wrap(np.asarray(g, dtype=t._data.dtype))
        else:
            if g._data.shape != t._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {list(g._data.shape)} and output[{i}] "
                    f"has a shape of {list(t._data.shape)}.")
            if not create_graph:
                g = g.detach()
        result.append(g)
    return result


def graph_nodes(roots) -> list:
    """All nodes reachable from the roots, in the order backward runs them (newest first)."""
    seen = set()
    stack = [n for n in roots if n is not None]
    nodes = []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        nodes.append(node)
        for edge in node.next_edges:
            if edge is not None and edge[1] >= 0 and edge[0] not in seen:
                stack.append(edge[0])
    nodes.sort(key=_seq_of, reverse=True)
    return nodes


_seq_of = operator.attrgetter("_seq")  # a node's creation number (a C-level key: no Python call per node)


def _needed(nodes: list, targets: dict) -> set:
    """Nodes from which some target can be reached (only those need to run)."""
    needed = set()
    for node in reversed(nodes):  # oldest first: inputs are decided before their consumers
        for edge in node.next_edges:
            if edge is not None and (edge in targets or (edge[1] < 0 and id(edge[0]) in targets)
                                     or edge[0] in needed):
                needed.add(node)
                break
    return needed


def sum_to_shape(g: Tensor, shape: tuple, node, index: int) -> Tensor:
    """Un-broadcast: sum a gradient over the dimensions broadcasting added or stretched."""
    from ..ops.reduce import sum_to

    gshape = g._data.shape
    lead = len(gshape) - len(shape)
    if lead < 0 or any(s != 1 and s != gs for s, gs in zip(shape, gshape[lead:])):
        if g._data.size == int(np.prod(shape)):
            return g.reshape(shape)
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {index} - got {list(gshape)} but "
            f"expected shape compatible with {list(shape)}")
    return sum_to(g, shape)


def _fresh(g: Tensor) -> Tensor:
    """A gradient tensor that no one else holds, so it may become ``.grad`` (copy if shared)."""
    a = g._data
    # references to `a`: g._data, the local name and getrefcount's argument; more means shared
    if _getrefcount(a) > 3 or a.base is not None or not a.flags.writeable:
        a = a.copy()
    return Tensor._wrap(a)


def _accumulate(t: Tensor, g: Tensor, create_graph: bool) -> None:
    if t._hooks:
        for hook in list(t._hooks):
            new = hook(g)
            if new is not None:
                g = new
    old = t._grad
    if old is None:
        t._grad = g if create_graph else _fresh(g)
    elif create_graph or old.requires_grad:
        t._grad = old + g
    else:
        t._grad = Tensor._wrap(_add_arrays(old._data, g._data))


def run_backward(outputs: list[Tensor], grads: list[Tensor], retain_graph: bool, create_graph: bool,
                 inputs: Sequence[Tensor] | None = None, accumulate: bool = True,
                 allow_unused: bool = True, observer=None):
    """Propagate ``grads`` from ``outputs`` to the leaves.

    With ``accumulate``, gradients are added to ``.grad`` of leaves (only of ``inputs`` if given).
    Without it (``autograd.grad``), the gradients of ``inputs`` are returned and no ``.grad`` changes.
    ``observer(node, grads_out, grads_in)`` sees every step (used by ``explain``).
    """
    targets = None
    captured = None
    if inputs is not None:
        targets = {}
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"inputs[{i}] must be a Tensor, got {type(t).__name__}")
            if not t.requires_grad:
                raise RuntimeError(f"One of the differentiated Tensors (inputs[{i}]) does not require grad")
            key = id(t) if t.grad_fn is None else (t.grad_fn, t._output_nr)
            targets[key] = i
        captured = [None] * len(inputs)

    roots = []
    buffers: dict = {}
    for t, g in zip(outputs, grads):
        if t.grad_fn is None:  # the output is itself a leaf
            if targets is not None and id(t) in targets:
                i = targets[id(t)]
                captured[i] = g if captured[i] is None else captured[i] + g
            elif accumulate and targets is None:
                _accumulate(t, g, create_graph)
            continue
        _add_to_buffer(buffers, t.grad_fn, t._output_nr, g)
        roots.append(t.grad_fn)

    nodes = graph_nodes(roots)
    needed = _needed(nodes, targets) if targets is not None else None

    if targets is None and not create_graph and observer is None and not state.anomaly and ARRAY_MODE:
        if accumulate:
            grads = {node: ([None if g is None else g._data for g in buf] if type(buf) is list else buf._data)
                     for node, buf in buffers.items()}
            _backward_on_arrays(nodes, grads, retain_graph)
        return captured

    prev_mode = state.enabled
    state.enabled = create_graph
    try:
        for node in nodes:
            buf = buffers.pop(node, None)
            if buf is None:
                continue
            multi = type(buf) is list
            if node._pre_hooks or node._retained:
                buf = _run_tensor_hooks(node, buf, multi, create_graph)
            if targets is not None:
                _capture(node, buf, multi, targets, captured)
                if node not in needed:
                    continue
            if multi:
                meta = node.__dict__["_output_meta"]
                grads_out = [g if g is not None or m is None else Tensor._wrap(np.zeros(m[0], m[1]))
                             for g, m in zip(buf, meta)]
                grads_in = node.backward(*grads_out)
            else:
                grads_out = (buf,)
                grads_in = node.backward(buf)
            if type(grads_in) is not tuple:
                grads_in = tuple(grads_in) if isinstance(grads_in, list) else (grads_in,)
            edges = node.next_edges
            if len(grads_in) != len(edges):
                if len(grads_in) > len(edges) and all(g is None for g in grads_in[len(edges):]):
                    grads_in = grads_in[:len(edges)]
                else:
                    raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                                       f"(expected {len(edges)}, got {len(grads_in)})")
            if observer is not None:
                raw = grads_in
            final = [] if observer is not None else None
            for i, edge in enumerate(edges):
                g = grads_in[i]
                if g is None or edge is None:
                    if final is not None:
                        final.append(None)
                    continue
                if not isinstance(g, Tensor):
                    raise TypeError(f"function {node.name()} returned a gradient that is not a Tensor at "
                                    f"index {i} (got {type(g).__name__})")
                shape, dt = node.input_meta[i]
                if g._data.shape != shape:
                    g = sum_to_shape(g, shape, node, i)
                if g._data.dtype != dt:
                    g = g.to(dt)
                if final is not None:
                    final.append(g)
                target, nr = edge
                if nr < 0:
                    if targets is not None:
                        j = targets.get(id(target))
                        if j is not None:
                            captured[j] = g if captured[j] is None else captured[j] + g
                            if accumulate:
                                _accumulate(target, g, create_graph)
                    elif accumulate:
                        _accumulate(target, g, create_graph)
                else:
                    _add_to_buffer(buffers, target, nr, g)
            if state.anomaly:
                from .anomaly import check_gradients

                check_gradients(node, grads_in)
            if observer is not None:
                observer(node, grads_out, raw, final)
            if not retain_graph:
                node._release()
    finally:
        state.enabled = prev_mode

    if captured is not None and not allow_unused:
        for i, g in enumerate(captured):
            if g is None:
                raise RuntimeError(
                    f"One of the differentiated Tensors (inputs[{i}], shape {list(inputs[i]._data.shape)}) appears "
                    "to not have been used in the graph. Set allow_unused=True if this is the desired behavior.")
    return captured


#: Run ``backward()`` without create_graph on plain arrays (see ``_backward_on_arrays``); False forces the
#: Tensor path everywhere (tests compare the two).
ARRAY_MODE = True


def _backward_on_arrays(nodes: list, grads: dict, retain_graph: bool) -> None:
    """The walk of ``run_backward`` for the common case, ``loss.backward()`` with no graph of the backward.

    Same order, same rules, but gradients travel as NumPy arrays: a node whose class says
    ``backward_on_arrays`` runs its (unchanged) backward on arrays, any other node gets Tensors and
    gives arrays back. This skips wrapping every intermediate gradient in a Tensor, which is most of
    the cost of backward on small graphs. ``grads`` maps the root nodes to their gradient arrays (a list of
    them for a node with several outputs).
    """
    prev_mode = state.enabled
    state.enabled = False
    try:
        for node in nodes:
            g = grads.pop(node, None)
            if g is None:
                continue
            multi = type(g) is list
            if node._pre_hooks or node._retained:
                g = _as_arrays(_run_tensor_hooks(node, _as_tensors(g, multi), multi, False), multi)
            if type(node).backward_on_arrays:
                node._arrays = True
                try:
                    grads_in = node.backward(*_fill_missing(node, g)) if multi else node.backward(g)
                finally:
                    node._arrays = False
            else:
                tg = _as_tensors(g, multi)
                grads_in = node.backward(*_fill_missing(node, tg, tensors=True)) if multi else node.backward(tg)
            edges = node.next_edges
            if type(grads_in) is np.ndarray and len(edges) == 1:  # one bare array: the usual return of a unary op
                grads_in = (grads_in,)
            elif type(grads_in) is not tuple or len(grads_in) != len(edges):  # another bare value, a wrong count
                grads_in = _check_count(node, grads_in)
            for i, (edge, gi, meta) in enumerate(zip(edges, grads_in, node.input_meta)):
                if gi is None or edge is None:
                    continue
                if type(gi) is not np.ndarray:  # a Tensor, or a NumPy scalar from 0-d arithmetic
                    gi = gi._data if isinstance(gi, Tensor) else np.asarray(gi)
                shape, dt = meta
                if gi.shape != shape:
                    gi = _sum_to_shape_array(gi, shape, node, i)
                if gi.dtype != dt:
                    gi = gi.astype(dt)
                target, nr = edge
                if nr < 0:
                    _accumulate_array(target, gi)
                elif target.num_outputs == 1:
                    old = grads.get(target)
                    grads[target] = gi if old is None else _add_arrays(old, gi)
                else:
                    buf = grads.get(target)
                    if buf is None:
                        buf = grads[target] = [None] * target.num_outputs
                    buf[nr] = gi if buf[nr] is None else _add_arrays(buf[nr], gi)
            if not retain_graph and node._saved is not None:
                node._saved = _FREED  # node._release(), without a call per node
    finally:
        state.enabled = prev_mode


def _as_tensors(g, multi: bool):
    return [None if a is None else Tensor._wrap(a) for a in g] if multi else Tensor._wrap(g)


def _as_arrays(g, multi: bool):
    return [None if t is None else t._data for t in g] if multi else g._data


def _fill_missing(node, g: list, tensors: bool = False) -> list:
    """Zeros for the outputs of a multi-output node that received no gradient."""
    meta = node.__dict__["_output_meta"]
    out = []
    for a, m in zip(g, meta):
        if a is None and m is not None:
            a = np.zeros(m[0], m[1])
            a = Tensor._wrap(a) if tensors else a
        out.append(a)
    return out


def _check_count(node, grads_in) -> tuple:
    if type(grads_in) is not tuple:
        grads_in = tuple(grads_in) if isinstance(grads_in, list) else (grads_in,)
    n = len(node.next_edges)
    if len(grads_in) != n:
        if len(grads_in) > n and all(g is None for g in grads_in[n:]):
            return grads_in[:n]
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                           f"(expected {n}, got {len(grads_in)})")
    return grads_in


def _sum_to_shape_array(a: np.ndarray, shape: tuple, node, index: int) -> np.ndarray:
    """``sum_to_shape`` on an array: un-broadcast a gradient to its input's shape."""
    gshape = a.shape
    lead = len(gshape) - len(shape)
    broadcasts = lead >= 0
    axes = list(range(lead)) if broadcasts else []  # the axes broadcasting added, then those it stretched
    if broadcasts:
        for i, s in enumerate(shape):  # a plain loop: this runs for every broadcast gradient
            if s != gshape[lead + i]:
                if s != 1:
                    broadcasts = False
                    break
                axes.append(lead + i)
    if not broadcasts:
        if a.size == int(np.prod(shape)):
            return a.reshape(shape)
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {index} - got {list(a.shape)} but "
            f"expected shape compatible with {list(shape)}")
    return np.add.reduce(a, axis=tuple(axes), keepdims=True).reshape(shape) if axes else a.reshape(shape)


def _accumulate_array(t: Tensor, a: np.ndarray) -> None:
    """``_accumulate`` for an array gradient: the new ``.grad`` never shares memory with anything else."""
    if t._hooks:
        g = Tensor._wrap(a)
        for hook in list(t._hooks):
            new = hook(g)
            if new is not None:
                g = new
        a = g._data
    old = t._grad
    if old is None:
        # references to `a` when unshared: the caller's tuple and local name, our argument, getrefcount's
        if _getrefcount(a) > 4 or a.base is not None or not a.flags.writeable:
            a = a.copy()
        t._grad = Tensor._wrap(a)
    elif old.requires_grad:
        t._grad = old + Tensor._wrap(a)
    else:
        t._grad = Tensor._wrap(_add_arrays(old._data, a))


def _add_arrays(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b as an array: NumPy gives a scalar for two 0-d arrays, and .grad must hold an array."""
    s = a + b
    return s if type(s) is np.ndarray else np.asarray(s)


def _add_to_buffer(buffers: dict, node, nr: int, g: Tensor) -> None:
    if node.num_outputs == 1:
        old = buffers.get(node)
        buffers[node] = g if old is None else old + g
        return
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node.num_outputs
    buf[nr] = g if buf[nr] is None else buf[nr] + g


def _run_tensor_hooks(node, buf, multi: bool, create_graph: bool):
    grads = buf if multi else [buf]
    for nr, g in enumerate(grads):
        if g is None:
            continue
        for hook in (node._pre_hooks or {}).get(nr, ()):
            new = hook(g)
            if new is not None:
                g = new
        grads[nr] = g
        ref = (node._retained or {}).get(nr)
        t = ref() if ref is not None else None
        if t is not None and t.grad_fn is node:
            _accumulate(t, g, create_graph)
    return grads if multi else grads[0]


def _capture(node, buf, multi: bool, targets: dict, captured: list) -> None:
    grads = buf if multi else [buf]
    for nr, g in enumerate(grads):
        j = targets.get((node, nr))
        if j is not None and g is not None:
            captured[j] = g if captured[j] is None else captured[j] + g


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False,
             grad_variables=None, inputs=None) -> None:
    """Accumulate into ``.grad`` of the leaves the gradient of ``tensors`` (torch.autograd.backward)."""
    if (grad_tensors is None and grad_variables is None and inputs is None and not create_graph
            and isinstance(tensors, Tensor) and _backward_of_a_scalar(tensors, retain_graph)):
        return
    outputs = _as_list(tensors)
    grads = _as_list(grad_tensors if grad_tensors is not None else grad_variables)
    if not grads:
        grads = [None] * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_grads(outputs, grads, create_graph)
    inputs = _as_list(inputs) or None
    run_backward(outputs, roots, retain_graph, create_graph, inputs=inputs, accumulate=True)


def _backward_of_a_scalar(t: Tensor, retain_graph: bool | None) -> bool:
    """``loss.backward()``, the common call, straight to the array walk; False (nothing done) when any of
    the checks and options of the general path matter. The same steps as ``_root_grads`` + ``run_backward``."""
    node = t.grad_fn
    if node is None or node.num_outputs != 1 or t._data.size != 1 or not ARRAY_MODE or state.anomaly:
        return False
    g = np.empty(t._data.shape, t._data.dtype)
    g.fill(1)
    _backward_on_arrays(graph_nodes((node,)), {node: g}, bool(retain_graph))
    return True


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (no ``.grad`` changes)."""
    single_input = isinstance(inputs, Tensor)
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    grads = _as_list(grad_outputs) or [None] * len(outs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    roots = _root_grads(outs, grads, create_graph)
    captured = run_backward(outs, roots, retain_graph, create_graph, inputs=ins, accumulate=False,
                            allow_unused=allow_unused)
    if materialize_grads:
        captured = [g if g is not None else Tensor._wrap(np.zeros_like(t._data)) for g, t in zip(captured, ins)]
    if not create_graph:
        captured = [g.detach() if g is not None and g.requires_grad else g for g in captured]
    _ = single_input
    return tuple(captured)
