"""The random tensor functions (``rand``, ``randn``, ``randint``, ``normal`` ...), drawing torch's CPU
stream from a ``chaingrad.Generator``; the in-place fills (``uniform_`` ...) are in random_fill.py.

The algorithms live in ``chaingrad.random`` (one file per distribution); this module parses torch's
arguments, checks them with torch's messages, and puts the values into tensors in torch's order.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .._dtype import get_default_dtype, int64, to_dtype
from ..autograd.node import Node, apply
from ..random import discrete, get_rng_state, initial_seed, integers, manual_seed, seed, set_rng_state
from ..random import layout as memory_layout
from ..random import normal as normal_alg
from ..random import uniform as uniform_alg
from ..random.generator import Generator, default_generator
from ..tensor import Tensor
from ._checks import scalar_type
from ._out import require_out, write_out
from .creation import _like as _like_array
from .creation import _new, _on_cpu, parse_size

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
           "normal", "bernoulli", "multinomial"]



def _gen(generator, op: str) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"{op}(): argument 'generator' must be chaingrad.Generator, not {type(generator).__name__}")
    return generator


def _float_dtype(dtype, op: str, kernel: str) -> np.dtype:
    d = (get_default_dtype() if dtype is None else to_dtype(dtype)).np
    if d.kind != "f":
        raise NotImplementedError(f'{op}: "{kernel}" not implemented for \'{scalar_type(d.name)}\' (give a floating '
                                  "point dtype)")
    return d


def _finish(array: np.ndarray, out: Tensor | None, requires_grad: bool, op: str, shape: tuple | None = None) -> Tensor:
    """The new tensor (of ``shape``, if given), or ``out`` filled with it (resized if its shape differs, as
    torch does)."""
    if shape is not None and len(shape) != 1:  # (flat values are already 1-d)
        array = array.reshape(shape)
    if out is None:
        return Tensor._wrap(array) if requires_grad is False else _new(array, requires_grad)
    if isinstance(out, Tensor) and out.requires_grad:
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    return write_out(array, out, op)


# -- new tensors ----------------------------------------------------------------------------------------
def rand(*sizes, size=None, generator: Generator | None = None, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Uniform samples on [0, 1): the low 24 (float32) or 53 (float64) bits of the generator's draws."""
    if device is not None or pin_memory or layout is not None:
        _on_cpu(device, pin_memory, "rand", layout)
    if out is not None:
        require_out(out, "rand")
    shape = parse_size(sizes, "rand", size)
    d = _float_dtype(dtype if out is None or dtype is not None else out.dtype, "rand", "check_uniform_bounds")
    values = uniform_alg.uniform(_gen(generator, "rand"), math.prod(shape), 0.0, 1.0, d)
    return _finish(values, out, requires_grad, "rand", shape)


def randn(*sizes, size=None, generator: Generator | None = None, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Standard normal samples (torch's Box-Muller: blocks of 16, or one at a time below 16 elements)."""
    if device is not None or pin_memory or layout is not None:
        _on_cpu(device, pin_memory, "randn", layout)
    if out is not None:
        require_out(out, "randn")
    shape = parse_size(sizes, "randn", size)
    d = _float_dtype(dtype if out is None or dtype is not None else out.dtype, "randn", "normal_kernel_cpu")
    values = normal_alg.normal(_gen(generator, "randn"), math.prod(shape), 0.0, 1.0, d)
    return _finish(values, out, requires_grad, "randn", shape)


def _like(input: Tensor, dtype, memory_format, op: str) -> np.ndarray:
    """The (uninitialized) array a ``*_like`` function fills: input's shape, in ``dtype`` (else input's), laid out
    as ``memory_format`` says (by default in the order of input's strides, as torch)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return _like_array(input, dtype, memory_format, op)


def _fill_like(target: np.ndarray, values: np.ndarray) -> np.ndarray:
    """torch fills the new tensor in its own memory order: ``values`` go into ``target`` in that order."""
    return values.reshape(target.shape) if target.flags.c_contiguous else memory_layout.fill(target, values)


def rand_like(input: Tensor, *, generator: Generator | None = None, dtype=None, layout=None, device=None,
              requires_grad: bool = False, memory_format=None) -> Tensor:
    if device is not None or layout is not None:
        _on_cpu(device, False, "rand_like", layout)
    like = _like(input, dtype, memory_format, "rand_like")
    d = _float_dtype(like.dtype, "rand_like", "check_uniform_bounds")
    values = uniform_alg.uniform(_gen(generator, "rand_like"), like.size, 0.0, 1.0, d)
    return _new(_fill_like(like, values), requires_grad)


def randn_like(input: Tensor, *, generator: Generator | None = None, dtype=None, layout=None, device=None,
               requires_grad: bool = False, memory_format=None) -> Tensor:
    if device is not None or layout is not None:
        _on_cpu(device, False, "randn_like", layout)
    like = _like(input, dtype, memory_format, "randn_like")
    d = _float_dtype(like.dtype, "randn_like", "normal_kernel_cpu")
    values = normal_alg.normal(_gen(generator, "randn_like"), like.size, 0.0, 1.0, d,
                               contiguous=memory_layout.is_contiguous(like))
    return _new(_fill_like(like, values), requires_grad)


def _int_arg(value, name: str, op: str) -> int:
    if type(value) is int:  # (the common call, settled at once)
        return value
    if isinstance(value, Tensor) and value.ndim == 0 and value.dtype.is_floating_point is False:
        return int(value.item())
    if isinstance(value, (bool, float)) or not hasattr(value, "__index__"):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(value).__name__}")
    return operator.index(value)


def randint(low=None, high=None, size=None, *, generator: Generator | None = None, out=None, dtype=None,
            layout=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``; each is
    ``low + word % (high - low)`` (a 64-bit draw once the range reaches 2**28)."""
    if device is not None or pin_memory or layout is not None:
        _on_cpu(device, pin_memory, "randint", layout)
    if out is not None:
        require_out(out, "randint")
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None and low is not None:  # randint(high, size=...)
        low, high = 0, low
    if low is None:
        low = 0
    if high is None or size is None:
        raise TypeError("randint() missing required arguments: give randint(high, size) or randint(low, high, "
                        "size), with size a tuple such as (3,)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    low, high = _int_arg(low, "low", "randint"), _int_arg(high, "high", "randint")
    shape = parse_size((size,), "randint")
    d = (int64 if dtype is None else to_dtype(dtype)).np
    if out is not None and dtype is None:
        d = out._data.dtype
    values = integers.random_from_to(_gen(generator, "randint"), math.prod(shape), low, high, d)
    return _finish(values, out, requires_grad, "randint", shape)


def randint_like(input: Tensor, low=0, high=None, *, generator: Generator | None = None, dtype=None,
                 layout=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    if high is None:
        low, high = 0, low
    if device is not None or layout is not None:
        _on_cpu(device, False, "randint_like", layout)
    like = _like(input, dtype, memory_format, "randint_like")
    d = like.dtype
    low, high = _int_arg(low, "low", "randint_like"), _int_arg(high, "high", "randint_like")
    values = integers.random_from_to(_gen(generator, "randint_like"), like.size, low, high, d)
    return _new(_fill_like(like, values), requires_grad)


def randperm(n: int, *, generator: Generator | None = None, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1: torch's forward Fisher-Yates shuffle, one word per swap."""
    if device is not None or pin_memory or layout is not None:
        _on_cpu(device, pin_memory, "randperm", layout)
    if out is not None:
        require_out(out, "randperm")
    n = _int_arg(n, "n", "randperm")
    if n < 0:
        raise RuntimeError(f"randperm(): Trying to create tensor with negative dimension {n}: [{n}]")
    d = (int64 if dtype is None else to_dtype(dtype)).np
    if out is not None and dtype is None:
        d = out._data.dtype
    if d.kind == "b":
        raise NotImplementedError('"randperm" not implemented for \'Bool\'')
    if d.kind == "f":
        top = {2: 2049, 4: (1 << 24) + 1, 8: (1 << 53) + 1}[d.itemsize]
        if n > top:
            raise RuntimeError(f"n cannot be greater than {top} for {scalar_type(d.name)} type.")
    elif n > 128 and n - 1 > np.iinfo(d).max:  # (no integer type holds less than 127: skip iinfo's 0.5 µs)
        raise RuntimeError(f"randperm({n}): value cannot be converted to type {d.name}_t without overflow")
    values = integers.randperm(_gen(generator, "randperm"), n).astype(d, copy=False)
    return _finish(values, out, requires_grad, "randperm")


class Normal(Node):
    """``torch.normal(mean, std)`` with tensor arguments: a sample, which torch does not differentiate."""

    input_names = ("mean", "std")
    formulas = ("dL/dmean = 0 (torch.normal's sample is not reparameterized)",
                "dL/dstd = 0 (torch.normal's sample is not reparameterized)")

    def forward(ctx, mean, std, sample):
        return sample

    def backward(ctx, g):
        zero = g * 0
        return zero, zero


def _promoted_inplace(out: np.ndarray, other: np.ndarray, op) -> np.ndarray:
    """``out.op_(other)`` as torch computes it: in the promoted dtype, cast back to out's."""
    common = np.promote_types(out.dtype, other.dtype)
    return op(out.astype(common, copy=False), other.astype(common, copy=False)).astype(out.dtype, copy=False)


def normal(mean=0.0, std=1.0, size=None, *, generator: Generator | None = None, out=None, dtype=None,
           layout=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Normal samples. ``normal(mean, std, size)`` with numbers; or tensors for mean and/or std, when the
    shape comes from them and the sample is ``normal_(0, 1) * std + mean`` (two roundings, as in torch)."""
    if device is not None or pin_memory or layout is not None:
        _on_cpu(device, pin_memory, "normal", layout)
    if out is not None:
        require_out(out, "normal")
    g = _gen(generator, "normal")
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mean_t and not std_t:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: with a float mean and std, "
                            "give the size: normal(mean, std, size)")
        std = float(std)
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        shape = parse_size((size,), "normal")
        d = _float_dtype(dtype if out is None or dtype is not None else out.dtype, "normal", "normal_kernel_cpu")
        values = normal_alg.normal(g, math.prod(shape), float(mean), std, d)
        return _finish(values, out, requires_grad, "normal", shape)
    if size is not None:
        raise TypeError("normal() received an invalid combination of arguments: a size goes only with a float "
                        "mean and std; with tensors the shape comes from them")
    if std_t:
        s = std._data
        if s.dtype.kind != "f":
            raise NotImplementedError(f'normal: "normal_kernel_cpu" not implemented for \'{scalar_type(s.dtype)}\'')
        if s.size and not (s >= 0).all():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif float(std) < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {float(std):g}")
    if mean_t and std_t:
        shape, d, overload = np.broadcast_shapes(mean._data.shape, std._data.shape), mean._data.dtype, 3
    elif mean_t:
        shape, d, overload = mean._data.shape, mean._data.dtype, 1
    else:
        shape, d, overload = std._data.shape, std._data.dtype, 2
    if d.kind != "f":
        raise NotImplementedError(f'normal: "normal_kernel_cpu" not implemented for \'{scalar_type(d.name)}\'')
    n = math.prod(shape)
    if mean_t and not std_t:
        values = normal_alg.normal(g, n, 0.0, float(std), d).reshape(shape)
        values = _promoted_inplace(values, mean._data, np.add)
    else:
        values = normal_alg.normal(g, n, 0.0, 1.0, d).reshape(shape)
        values = _promoted_inplace(values, std._data, np.multiply)
        m = mean._data if mean_t else np.array(mean, d)  # torch adds a 0-dim tensor of the output's dtype
        values = _promoted_inplace(values, m, np.add)
    if out is not None:
        return _finish(values, out, False, "normal")
    inputs = [t if isinstance(t, Tensor) else Tensor._wrap(np.array(t, d)) for t in (mean, std)]
    # torch's node per overload lists only the tensor arguments
    node = Normal.named(f"NormalBackward{overload}", unlisted_inputs={1: (1,), 2: (0,), 3: ()}[overload])
    return apply(node, *inputs, sample=values)


def bernoulli(input: Tensor, p=None, *, generator: Generator | None = None, out=None) -> Tensor:
    """1 with probability ``input`` (or ``p``), elementwise, else 0; in input's dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    g = _gen(generator, "bernoulli")
    a = input._data
    # torch makes a contiguous result and fills it in index order, whatever input's layout
    if p is None:
        hits = discrete.bernoulli_tensor(g, a if a.ndim == 1 else a.reshape(-1))
    else:
        hits = discrete.bernoulli_scalar(g, a.size, float(p))
    values = hits.astype(a.dtype)
    return _finish(values, out, False, "bernoulli", a.shape)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None, out=None) -> Tensor:
    """Indices drawn with probabilities proportional to the rows of ``input`` (1-D or 2-D)."""
    require_out(out, "multinomial")
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    a = input._data
    if not 1 <= a.ndim <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if a.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {scalar_type(a.dtype)}")
    num_samples = _int_arg(num_samples, "num_samples", "multinomial")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > a.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if a.shape[-1] > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    rows = a.reshape(-1, a.shape[-1])
    idx = discrete.multinomial(_gen(generator, "multinomial"), np.ascontiguousarray(rows), num_samples,
                               bool(replacement), layout=None if rows.flags.c_contiguous else rows)
    return _finish(idx.reshape(a.shape[:-1] + (num_samples,)), out, False, "multinomial")


bernoulli.checks_arguments = multinomial.checks_arguments = True  # type: ignore[attr-defined]  # (they check input themselves)

# the in-place fills (Tensor.uniform_, normal_, random_ ...) live in random_fill.py, next to these functions
from . import random_fill  # noqa: E402, F401
