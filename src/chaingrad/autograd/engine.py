"""The backward pass: one walk from the outputs back to the leaves, for every caller.

``loss.backward()``, ``backward(inputs=...)``, ``autograd.grad``, ``create_graph=True``, hooks, ``retain_grad``,
anomaly mode and ``chaingrad.explain`` all run ``run_backward``.

Order: nodes are numbered as they are created, and an operation's inputs always exist before it does, so
visiting the nodes in decreasing creation number is a topological order: every node runs after all the
nodes that consumed its output. No recursion, so a 100,000-op chain is fine.

At each node: the gradients that reached its outputs go through the hooks, its ``backward`` turns them
into one gradient per input, and each of those is un-broadcast to its input's shape, cast to its dtype and
sent on: added to the pending gradient of the node that made the input, or delivered to a leaf
(``_Walk.deliver``: its hooks, then ``.grad`` or the gradients ``autograd.grad`` returns).

Gradients travel as NumPy arrays, or as Tensors with ``create_graph=True`` so that the backward pass itself
is recorded; gradients.py says what each way does to a gradient (un-broadcasting, summing, ``.grad``).
"""

from __future__ import annotations

import operator
import sys
import warnings
from collections.abc import Sequence

import numpy as np

from ..tensor import Tensor
from .grad_mode import state
from .gradients import Arrays, Tensors
from .node import _FREED


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def root_grads(outputs: list[Tensor], grads: list, create_graph: bool) -> list[Tensor]:
    """The gradient each output starts with (ones for a one-element output), checked against the output."""
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
            g = Tensor._wrap(np.ones(t._data.shape, t._data.dtype))
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
    nodes.sort(key=_creation_number, reverse=True)
    return nodes


_creation_number = operator.attrgetter("_seq")
_ndarray, _wrap = np.ndarray, Tensor._wrap  # (read for every node of the walk)


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


# -- the walk -----------------------------------------------------------------------------------------------
class _Walk:
    """One backward pass: where gradients go (``.grad``, or returned for ``inputs``) and how they travel."""

    targets = None  # {id(leaf) or (node, output_nr): position in inputs}
    captured = None  # the gradient of each of ``inputs``, as it arrives

    def __init__(self, create_graph: bool, inputs, accumulate: bool, observer) -> None:
        self.carrier = Tensors if create_graph else Arrays
        self.accumulate = accumulate
        self.observer = observer
        if inputs is not None:
            self.targets = {}
            for i, t in enumerate(inputs):
                if not isinstance(t, Tensor):
                    raise TypeError(f"inputs[{i}] must be a Tensor, got {type(t).__name__}")
                if not t.requires_grad:
                    raise RuntimeError(f"One of the differentiated Tensors (inputs[{i}]) does not require grad")
                self.targets[id(t) if t._grad_fn is None else (t._grad_fn, t._output_nr)] = i
            self.captured = [None] * len(inputs)

    def capture(self, j: int, g) -> None:
        self.captured[j] = g if self.captured[j] is None else self.carrier.add(self.captured[j], g)

    def deliver(self, leaf: Tensor, g, owned: bool = False) -> None:
        """A leaf's gradient: through the leaf's hooks, then returned (``inputs``) and/or added to ``.grad``.

        ``owned``: nothing but the walk holds ``g``, so it may become ``.grad`` without a copy.
        """
        j = None
        if self.targets is not None:
            j = self.targets.get(id(leaf))
            if j is None:
                return  # backward(inputs=...) and autograd.grad touch only the leaves asked for
        if leaf._hooks:
            g, owned = _run_tensor_hooks(leaf._hooks, g, self.carrier), False
        if j is not None:
            self.capture(j, g)
            owned = False
        if self.accumulate:
            self.carrier.accumulate(leaf, g, owned)
            if leaf._hooks:
                for hook in list(leaf._hooks):
                    if type(hook) is PostAccumulateHook:
                        hook.hook(leaf)

    def arrived(self, node, grads: list) -> list:
        """The gradients that reached ``node``'s outputs, after tensor hooks, retain_grad and node pre-hooks."""
        c = self.carrier
        for nr, g in enumerate(grads):
            if g is None:
                continue
            hooks = node._tensor_hooks and node._tensor_hooks.get(nr)
            if hooks:
                g = grads[nr] = _run_tensor_hooks(hooks, g, c)
            ref = node._retained and node._retained.get(nr)
            t = ref() if ref is not None else None
            if t is not None and t._grad_fn is node:
                c.accumulate(t, g)
            if self.targets is not None:
                j = self.targets.get((node, nr))
                if j is not None:
                    self.capture(j, g)
        for hook in list(node._prehooks or ()):
            new = hook(tuple(None if g is None else c.tensor(g) for g in grads))
            if new is not None:
                grads = [None if g is None else c.of(g) for g in new]
        return grads

    def after(self, node, grads_out: list, raw: tuple) -> list:
        """Anomaly checks, node post-hooks and the observer, once ``node``'s backward has run; returns its
        gradients fitted to the inputs (as a post-hook may have replaced them)."""
        c = self.carrier
        returned = [None if g is None else c.result(node, i, g) for i, g in enumerate(raw)]
        if state.anomaly and state.anomaly_check_nan:
            from .anomaly import check_gradients

            check_gradients(node, [None if g is None else c.array(g) for g in returned])
        grads_in = [None if g is None or e is None else c.fit(g, node.input_meta[i], node, i)
                    for i, (g, e) in enumerate(zip(returned, node.next_edges))]
        for hook in list(node._posthooks or ()):
            new = hook(tuple(None if g is None else c.tensor(g) for g in grads_in),
                       tuple(None if g is None else c.tensor(g) for g in grads_out))
            if new is not None:
                grads_in = [None if g is None else c.of(g) for g in new]
        if self.observer is not None:
            self.observer(node, *[[None if g is None else c.array(g) for g in gs] for gs in (grads_out, returned,
                                                                                             grads_in)])
        return grads_in


#: the walk of a plain backward (arrays, into .grad, nothing captured or observed): its settings never change
_PLAIN_WALK = _Walk(False, None, True, None)


def _materialize(node, grads: list, carrier) -> list:
    """Zeros for the outputs of a multi-output node that received no gradient."""
    meta = node.__dict__.get("_output_meta", ())
    return [carrier.zeros(*m) if g is None and m is not None else g for g, m in zip(grads, meta)]


def _check_count(node, raw: tuple) -> tuple:
    n = len(node.next_edges)
    if len(raw) > n and all(g is None for g in raw[n:]):
        return raw[:n]
    raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                       f"(expected {n}, got {len(raw)})")


class PostAccumulateHook:
    """A leaf's ``register_post_accumulate_grad_hook``: ``hook(tensor)`` after its ``.grad`` is accumulated (kept in
    the leaf's hook list, skipped by the gradient hooks)."""

    __slots__ = ("hook",)

    def __init__(self, hook) -> None:
        self.hook = hook


def _run_tensor_hooks(hooks: list, g, carrier):
    """``hook(grad)`` for each hook, in order; a returned tensor replaces the gradient."""
    for hook in list(hooks):
        if type(hook) is PostAccumulateHook:
            continue
        new = hook(carrier.tensor(g))
        if new is not None:
            g = carrier.of(new)
    return g


def run_backward(outputs: list[Tensor], grads: list[Tensor], retain_graph: bool = False, create_graph: bool = False,
                 inputs: Sequence[Tensor] | None = None, accumulate: bool = True, allow_unused: bool = True,
                 observer=None):
    """Propagate ``grads`` (one per output, from ``root_grads``) from ``outputs`` back to the leaves.

    With ``accumulate``, gradients are added to ``.grad`` of the leaves (only of ``inputs`` if given). With
    ``inputs``, their gradients are also returned, in order (None where unused). ``observer(node, grads_out,
    grads_in, grads_fitted)`` is called after each node's backward with lists of arrays (None where there is
    no gradient): what reached the node's outputs, what its backward returned, and the same un-broadcast and
    cast to each input (``explain`` is built on it).
    """
    if inputs is None and observer is None and accumulate and not create_graph:
        walk = _PLAIN_WALK  # loss.backward(): nothing to set up
    else:
        walk = _Walk(create_graph, inputs, accumulate, observer)
    c = walk.carrier
    on_arrays = c is Arrays
    pending: dict = {}  # node -> the gradient of each of its outputs, summed as consumers send them
    for t, g in zip(outputs, grads):
        if t._grad_fn is None:
            walk.deliver(t, c.of(g))
        else:
            _send(pending, t._grad_fn, t._output_nr, c.of(g), c)
    nodes = graph_nodes(pending)
    needed = _needed(nodes, walk.targets) if walk.targets is not None else None
    plain = walk.targets is None and accumulate  # leaves just get .grad (walk.deliver says the rest)
    checked = state.anomaly or observer is not None  # every node's gradients are looked at (walk.after)
    prev_mode = state.enabled
    state.enabled = create_graph
    try:
        for node in nodes:
            grads_out = pending.pop(node, None)
            if grads_out is None:
                continue
            # 1. the gradients that reached the node's outputs: through hooks, retain_grad, inputs=
            if needed is not None or node._hooked:
                grads_out = walk.arrived(node, grads_out)
                if needed is not None and node not in needed:
                    continue
            if len(grads_out) > 1 and node.materialize_grads and any(g is None for g in grads_out):
                grads_out = _materialize(node, grads_out, c)
            # 2. the node's own derivative: one gradient per input
            if on_arrays and node.backward_on_arrays:
                node._arrays = True  # saved_tensors gives arrays
                try:
                    raw = node.backward(grads_out[0]) if len(grads_out) == 1 else node.backward(*grads_out)
                finally:
                    node._arrays = False
            elif on_arrays:
                raw = node.backward(*[None if g is None else _wrap(g) for g in grads_out])
            else:
                raw = node.backward(*grads_out)
            if type(raw) is not tuple:
                raw = tuple(raw) if isinstance(raw, list) else (raw,)
            edges, metas = node.next_edges, node.input_meta
            if len(raw) != len(edges):
                raw = _check_count(node, raw)
            if checked or node._posthooks:
                raw = walk.after(node, grads_out, raw)
            # 3. each gradient un-broadcast and cast to its input's shape and dtype, and sent on: to the node
            # that made the input, or delivered to a leaf
            for i, edge in enumerate(edges):
                g = raw[i]
                if g is None or edge is None:
                    continue
                if on_arrays:
                    if type(g) is not _ndarray:
                        g = c.result(node, i, g)
                    meta = metas[i]
                    if g.shape != meta[0] or g.dtype != meta[1]:  # (checked here: most need neither)
                        g = c.fit(g, meta, node, i)
                else:
                    g = c.fit(c.result(node, i, g), metas[i], node, i)
                target, nr = edge
                if nr >= 0:  # (as _send: added to the gradient pending for the node that made the input)
                    grads = pending.get(target)
                    if grads is None:
                        grads = pending[target] = [None] * target.num_outputs
                    grads[nr] = g if grads[nr] is None else c.add(grads[nr], g)
                else:  # owned: no reference to g but raw's, this name and getrefcount's argument
                    owned = on_arrays and sys.getrefcount(g) <= 3
                    if plain and not target._hooks:
                        c.accumulate(target, g, owned)
                    else:
                        walk.deliver(target, g, owned)
            if not retain_graph and node._saved is not None:
                node._saved = _FREED  # its saved values are released
    finally:
        state.enabled = prev_mode
    if walk.captured is not None and not allow_unused:
        for i, g in enumerate(walk.captured):
            if g is None:
                raise RuntimeError(
                    f"One of the differentiated Tensors (inputs[{i}], shape {list(inputs[i]._data.shape)}) appears "
                    "to not have been used in the graph. Set allow_unused=True if this is the desired behavior.")
    return walk.captured


def _send(pending: dict, node, nr: int, g, carrier) -> None:
    """Add ``g`` to the gradient pending for output ``nr`` of ``node`` (gradients that meet are summed)."""
    grads = pending.get(node)
    if grads is None:
        grads = pending[node] = [None] * node.num_outputs
    grads[nr] = g if grads[nr] is None else carrier.add(grads[nr], g)


# -- the entry points ---------------------------------------------------------------------------------------
def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False,
             grad_variables=None, inputs=None) -> None:
    """Accumulate into ``.grad`` of the leaves the gradient of ``tensors`` (torch.autograd.backward)."""
    outputs = _as_list(tensors)
    grads = _as_list(grad_tensors if grad_tensors is not None else grad_variables) or [None] * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_list(inputs) or None
    run_backward(outputs, root_grads(outputs, grads, create_graph), retain_graph, create_graph, inputs=inputs)


def tensor_backward(self: Tensor, gradient: Tensor | None = None, retain_graph: bool | None = None,
                    create_graph: bool = False, inputs=None) -> None:
    """Compute d(self)/d(leaf) for every leaf that requires grad and add it to ``leaf.grad`` (``Tensor.backward``)."""
    if gradient is None and inputs is None and not create_graph and self._grad_fn is not None \
            and self._data.size == 1:
        backward_of_a_scalar(self, bool(retain_graph))
    else:
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def backward_of_a_scalar(loss: Tensor, retain_graph: bool) -> None:
    """``loss.backward()`` of a one-element result: the walk, started with ones, without ``root_grads``' checks.

    Speed: the common call of a training loop, where the checks and list handling of the general entry
    cost a noticeable share of a small graph's backward; tested against the general entry in
    tests/test_fast_paths.py."""
    one = np.array(1, loss._data.dtype).reshape(loss._data.shape)  # dL/dL
    run_backward([loss], [_wrap(one)], retain_graph)


Tensor.backward = tensor_backward


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (no ``.grad`` changes)."""
    if is_grads_batched:
        raise NotImplementedError("autograd.grad(is_grads_batched=True) is not supported; call grad once per "
                                  "row of grad_outputs (or use chaingrad.func.vmap over a function of them)")
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). To accumulate "
                      "gradient for other parts of the graph, please use chaingrad.autograd.backward.", stacklevel=2)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    outs, ins = _as_list(outputs), _as_list(inputs)
    grads = _as_list(grad_outputs) or [None] * len(outs)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    captured = run_backward(outs, root_grads(outs, grads, create_graph), retain_graph, create_graph, inputs=ins,
                            accumulate=False, allow_unused=allow_unused)
    result = []
    for g, t in zip(captured, ins):
        if g is None and materialize_grads:
            g = np.zeros_like(t._data)
        if g is not None:
            g = Tensor._wrap(g) if isinstance(g, np.ndarray) else g if create_graph else g.detach()
        result.append(g)
    return tuple(result)
