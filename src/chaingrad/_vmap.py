"""``vmap``: a function of one example applied to a batch, with ``torch.func.vmap``'s arguments and errors.

torch runs the function once on "batched tensors" whose operations carry the batch dimension along.
chaingrad runs it once per slice instead: each mapped argument is sliced along its ``in_dims``
(``select``, so gradients flow back to the batch), the function runs on the slices, and the outputs are
stacked along ``out_dims``. The numbers are the same as torch's; it is a loop, so it costs one call per
example (``chunk_size`` is checked and has nothing left to change: every slice is already its own chunk).

Random operations inside follow ``randomness``: ``'error'`` (the default) raises torch's error, ``'same'``
gives every slice the same random numbers, from the same generator state, and leaves the generator
where one slice's draws leave it, as torch's single unbatched draw does; ``'different'`` (a fresh draw
per slice from one batched draw) cannot be reproduced bit for bit by a loop and raises NotImplementedError.

What a loop cannot see: torch refuses ``.item()`` and data-dependent Python control flow on a batched
tensor, and under ``'same'`` refuses random operations whose tensor arguments are batched (``bernoulli``
of a batched ``p``); chaingrad runs them per slice.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .random import generator as _generator
from .tensor import Tensor
from .utils._pytree import broadcast_prefix, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")


def _name(func) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


class _Level:
    """One active vmap: its randomness mode and, for 'same', each generator's state before the first draw."""

    def __init__(self, randomness: str) -> None:
        self.randomness = randomness
        self.states: dict[Any, Tensor] = {}

    def restart(self) -> None:
        """Put every generator used so far back where it was before the first slice's draws."""
        for gen, state in self.states.items():
            gen.set_state(state)


_levels: list[_Level] = []


def _check_draw(gen) -> None:
    """Called by the generator before each draw while a vmap runs (random/generator.py's ``draw_checks``)."""
    modes = {level.randomness for level in _levels}
    if "error" in modes:
        raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use the "
                           "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
                           "of vmap")
    if "different" in modes:
        raise NotImplementedError("vmap(..., randomness='different'): chaingrad's vmap runs the function once per "
                                  "slice and cannot reproduce torch's single batched draw bit for bit; use "
                                  "randomness='same', or draw the random numbers outside vmap and pass them in "
                                  "with the batch")
    for level in _levels:
        if gen not in level.states:
            level.states[gen] = gen.get_state()


def _process_inputs(func, in_dims, args) -> tuple[int, list, list, Any]:
    """torch's ``_process_batched_inputs``: the batch size, the flat in_dims (None or a dim >= 0), flat args."""
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
                         f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
                         "trying to vmap over a function with no inputs. The latter is unsupported.")
    flat_args, spec = tree_flatten(args)
    flat_dims = broadcast_prefix(in_dims, spec)
    if flat_dims is None:
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                         f"structure of `inputs`. in_dims has structure {tree_flatten(in_dims)[1]} but inputs has "
                         f"structure {spec}.")
    where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    for i, (arg, dim) in enumerate(zip(flat_args, flat_dims)):
        if dim is not None and not isinstance(dim, int):
            raise ValueError(f"{where}: Got in_dim={dim} for an input but in_dim must be either an integer "
                             "dimension or None.")
        if dim is None:
            continue
        if not isinstance(arg, Tensor):
            raise ValueError(f"{where}: Got in_dim={dim} for an input but the input is of type {type(arg)}. We "
                             "cannot vmap over non-Tensor arguments, please use None as the respective in_dim")
        nd = arg.dim()
        if not -nd <= dim < nd:
            raise ValueError(f"{where}: Got in_dim={dim} for some input, but that input is a Tensor of "
                             f"dimensionality {nd} so expected in_dim to satisfy -{nd} <= in_dim < {nd}.")
        flat_dims[i] = dim % nd
    sizes = [arg.shape[dim] for arg, dim in zip(flat_args, flat_dims) if dim is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    return sizes[0], flat_dims, flat_args, spec


def _check_out_dims(func, out_dims) -> None:
    if isinstance(out_dims, int):
        return
    for leaf in tree_flatten(out_dims)[0]:
        if leaf is not None and not isinstance(leaf, int):
            raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a "
                             "python collection of ints representing where in the outputs the vmapped dimension "
                             "should appear.")


def _flat_out_dims(func, out_dims, first_output) -> tuple[list, list, Any]:
    """The outputs of the first slice flattened, with one out_dim each (torch's ``_unwrap_batched``)."""
    flat, spec = tree_flatten(first_output)
    dims: list | None
    if isinstance(first_output, Tensor):  # (a lone tensor takes 0, (0,) or None)
        if isinstance(out_dims, int) or out_dims is None:
            dims = [out_dims]
        elif isinstance(out_dims, tuple) and len(out_dims) == 1:
            dims = list(out_dims)
        else:
            dims = None
    else:
        dims = broadcast_prefix(out_dims, spec)
    if dims is None:
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with "
                         f"the structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but "
                         f"outputs has structure {spec}.")
    return flat, dims, spec


def _combine(func, slices: list, dim):
    """The slices' values of one output, stacked along ``dim`` (or the one value, for ``dim=None``)."""
    from .ops.shape import stack

    name = _name(func)
    first = slices[0]
    if dim is None:
        same = all(s is first for s in slices) or (
            isinstance(first, Tensor) and all(isinstance(s, Tensor) and s.shape == first.shape
                                              and np.array_equal(s._data, first._data, equal_nan=True)
                                              for s in slices))
        if not same and isinstance(first, Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
        return first
    for s in slices:
        if not isinstance(s, Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(s)}. Did you "
                             "mean to set out_dims= to None for output?")
    nd = first.dim() + 1
    if not -nd <= dim < nd:  # (torch's message: it moves the batch dimension of an nd-dimensional result)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    return stack(slices, dim=dim)


def _run(func, in_dims, out_dims, randomness: str, args, kwargs):
    _check_out_dims(func, out_dims)
    batch, flat_dims, flat_args, spec = _process_inputs(func, in_dims, args)
    level = _Level(randomness)
    _levels.append(level)
    if len(_levels) == 1:
        _generator.draw_checks.append(_check_draw)
    try:
        outputs = []
        for b in range(batch):
            if b:
                level.restart()
            sliced = [a if d is None else a.select(d, b) for a, d in zip(flat_args, flat_dims)]
            outputs.append(func(*tree_unflatten(sliced, spec), **kwargs))
    finally:
        _levels.pop()
        if not _levels:
            _generator.draw_checks.remove(_check_draw)
    flat0, dims, out_spec = _flat_out_dims(func, out_dims, outputs[0])
    per_slice = []
    for out in outputs:
        flat, s = tree_flatten(out)
        if s != out_spec:
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` returned outputs of different structures "
                             f"for different examples ({out_spec} and {s}); it must return the same structure for "
                             "every example")
        per_slice.append(flat)
    combined = [_combine(func, [p[i] for p in per_slice], d) for i, d in enumerate(dims)]
    return tree_unflatten(combined, out_spec)


def vmap(func: Callable, in_dims: int | tuple = 0, out_dims: int | tuple | None = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """``func`` mapped over a dimension of its inputs: ``vmap(f)(x)`` stacks ``f(x[0]), f(x[1]), ...``.

    ``in_dims``: the mapped dimension of each argument (an int for all, or a tuple with an int or None per
    argument, nested like the arguments); ``out_dims``: where the batch dimension goes in each output;
    ``randomness``: 'error', 'same' or 'different' (see the module note); ``chunk_size``: None or > 0.
    """
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    def wrapped(*args, **kwargs):
        return _run(func, in_dims, out_dims, randomness, args, kwargs)

    try:
        wrapped = functools.wraps(func)(wrapped)
    except (AttributeError, TypeError):  # (a callable without __name__ and the like)
        pass
    return wrapped
