"""The random tensor functions (``rand``, ``randn``, ``randint``, ``normal`` ...) and in-place fills
(``uniform_``, ``normal_`` ...), drawing torch's CPU stream from a ``chaingrad.Generator``.

The algorithms live in ``chaingrad.random`` (one file per distribution); this module parses torch's
arguments, checks them with torch's messages, and puts the values into tensors in torch's order.
"""

from __future__ import annotations

import operator

import numpy as np

from .._dtype import get_default_dtype, int64, to_dtype
from ..autograd.function import Node, apply
from ..autograd.grad_mode import state
from ..random import discrete, get_rng_state, initial_seed, integers, manual_seed, seed, set_rng_state
from ..random import layout as memory_layout
from ..random import normal as normal_alg
from ..random import uniform as uniform_alg
from ..random.generator import Generator, default_generator
from ..tensor import Tensor
from .creation import _new, parse_size
from .inplace import _random_fill

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
           "normal", "bernoulli", "multinomial"]

_NP_NAME = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _gen(generator, op: str) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"{op}(): argument 'generator' must be chaingrad.Generator, not {type(generator).__name__}")
    return generator


def _float_dtype(dtype, op: str, kernel: str) -> np.dtype:
    d = (get_default_dtype() if dtype is None else to_dtype(dtype)).np
    if d.kind != "f":
        raise NotImplementedError(f'{op}: "{kernel}" not implemented for \'{_NP_NAME[d.name]}\' (give a floating '
                                  "point dtype)")
    return d


def _finish(array: np.ndarray, out: Tensor | None, requires_grad: bool, op: str) -> Tensor:
    """The new tensor, or ``out`` filled with it (resized if its shape differs, as torch does)."""
    if out is None:
        return _new(array, requires_grad)
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if out.requires_grad:
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if out._data.shape == array.shape:
        np.copyto(out._data, array, casting="unsafe")
    else:
        out._data = array.astype(out._data.dtype)
    out._version[0] += 1
    return out


def _sizes(sizes, size, op: str) -> tuple[int, ...]:
    return parse_size(sizes, op, size)


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


# -- new tensors ----------------------------------------------------------------------------------------
def rand(*sizes, size=None, generator: Generator | None = None, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Uniform samples on [0, 1): the low 24 (float32) or 53 (float64) bits of the generator's draws."""
    shape = _sizes(sizes, size, "rand")
    d = _float_dtype(dtype if out is None or dtype is not None else out.dtype, "rand", "check_uniform_bounds")
    values = uniform_alg.uniform(_gen(generator, "rand"), _numel(shape), 0.0, 1.0, d)
    return _finish(values.reshape(shape), out, requires_grad, "rand")


def randn(*sizes, size=None, generator: Generator | None = None, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Standard normal samples (torch's Box-Muller: blocks of 16, or one at a time below 16 elements)."""
    shape = _sizes(sizes, size, "randn")
    d = _float_dtype(dtype if out is None or dtype is not None else out.dtype, "randn", "normal_kernel_cpu")
    values = normal_alg.normal(_gen(generator, "randn"), _numel(shape), 0.0, 1.0, d)
    return _finish(values.reshape(shape), out, requires_grad, "randn")


def _like(input: Tensor, dtype, op: str) -> tuple[np.ndarray, np.dtype]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    d = input._data.dtype if dtype is None else to_dtype(dtype).np
    return input._data, d


def _fill_like(like: np.ndarray, values: np.ndarray) -> np.ndarray:
    """torch's *_like functions keep the input's memory layout (preserve_format): values go in that order."""
    return memory_layout.place(values, like) if not like.flags.c_contiguous else values.reshape(like.shape)


def rand_like(input: Tensor, *, generator: Generator | None = None, dtype=None, layout=None, device=None,
              requires_grad: bool = False, memory_format=None) -> Tensor:
    like, d = _like(input, dtype, "rand_like")
    d = _float_dtype(d, "rand_like", "check_uniform_bounds")
    values = uniform_alg.uniform(_gen(generator, "rand_like"), like.size, 0.0, 1.0, d)
    return _new(_fill_like(like, values), requires_grad)


def randn_like(input: Tensor, *, generator: Generator | None = None, dtype=None, layout=None, device=None,
               requires_grad: bool = False, memory_format=None) -> Tensor:
    like, d = _like(input, dtype, "randn_like")
    d = _float_dtype(d, "randn_like", "normal_kernel_cpu")
    values = normal_alg.normal(_gen(generator, "randn_like"), like.size, 0.0, 1.0, d,
                               contiguous=memory_layout.is_contiguous(like))
    return _new(_fill_like(like, values), requires_grad)


def _int_arg(value, name: str, op: str) -> int:
    if isinstance(value, Tensor) and value.ndim == 0 and value.dtype.is_floating_point is False:
        return int(value.item())
    if isinstance(value, (bool, float)) or not hasattr(value, "__index__"):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(value).__name__}")
    return operator.index(value)


def randint(low=None, high=None, size=None, *, generator: Generator | None = None, out=None, dtype=None,
            layout=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Integers in [low, high): ``randint(high, size)`` or ``randint(low, high, size)``; each is
    ``low + word % (high - low)`` (a 64-bit draw once the range reaches 2**28)."""
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
    shape = parse_size((tuple(size),), "randint")
    d = (int64 if dtype is None else to_dtype(dtype)).np
    if out is not None and dtype is None:
        d = out._data.dtype
    values = integers.random_from_to(_gen(generator, "randint"), _numel(shape), low, high, d)
    return _finish(values.reshape(shape), out, requires_grad, "randint")


def randint_like(input: Tensor, low=0, high=None, *, generator: Generator | None = None, dtype=None,
                 layout=None, device=None, requires_grad: bool = False, memory_format=None) -> Tensor:
    if high is None:
        low, high = 0, low
    like, d = _like(input, dtype, "randint_like")
    low, high = _int_arg(low, "low", "randint_like"), _int_arg(high, "high", "randint_like")
    values = integers.random_from_to(_gen(generator, "randint_like"), like.size, low, high, d)
    return _new(_fill_like(like, values), requires_grad)


def randperm(n: int, *, generator: Generator | None = None, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A random permutation of 0 .. n-1: torch's forward Fisher-Yates shuffle, one word per swap."""
    n = _int_arg(n, "n", "randperm")
    if n < 0:
        raise RuntimeError(f"randperm(): Trying to create tensor with negative dimension {n}: [{n}]")
    d = (int64 if dtype is None else to_dtype(dtype)).np
    if out is not None and dtype is None:
        d = out._data.dtype
    if d == np.bool_:
        raise NotImplementedError('"randperm" not implemented for \'Bool\'')
    if d.kind == "f":
        top = {2: 2049, 4: (1 << 24) + 1, 8: (1 << 53) + 1}[d.itemsize]
        if n > top:
            raise RuntimeError(f"n cannot be greater than {top} for {_NP_NAME[d.name]} type.")
    elif n > 0 and n - 1 > np.iinfo(d).max:
        raise RuntimeError(f"randperm({n}): value cannot be converted to type {d.name}_t without overflow")
    values = integers.randperm(_gen(generator, "randperm"), n).astype(d, copy=False)
    return _finish(values, out, requires_grad, "randperm")


class Normal(Node):
    """``torch.normal(mean, std)`` with tensor arguments: a sample, which torch does not differentiate."""

    input_names = ("mean", "std")
    formulas = ("dL/dmean = 0 (torch.normal's sample is not reparameterized)",
                "dL/dstd = 0 (torch.normal's sample is not reparameterized)")

    def forward(ctx, mean, std, sample, overload):
        ctx.overload = overload
        return sample

    def backward(ctx, g):
        zero = g * 0
        return zero, zero

    def name(self) -> str:
        return f"NormalBackward{self.overload}"


def _promoted_inplace(out: np.ndarray, other: np.ndarray, op) -> np.ndarray:
    """``out.op_(other)`` as torch computes it: in the promoted dtype, cast back to out's."""
    common = np.promote_types(out.dtype, other.dtype)
    return op(out.astype(common, copy=False), other.astype(common, copy=False)).astype(out.dtype, copy=False)


def normal(mean=0.0, std=1.0, size=None, *, generator: Generator | None = None, out=None, dtype=None,
           layout=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Normal samples. ``normal(mean, std, size)`` with numbers; or tensors for mean and/or std, when the
    shape comes from them and the sample is ``normal_(0, 1) * std + mean`` (two roundings, as in torch)."""
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
        values = normal_alg.normal(g, _numel(shape), float(mean), std, d)
        return _finish(values.reshape(shape), out, requires_grad, "normal")
    if size is not None:
        raise TypeError("normal() received an invalid combination of arguments: a size goes only with a float "
                        "mean and std; with tensors the shape comes from them")
    if std_t:
        s = std._data
        if s.dtype.kind != "f":
            raise NotImplementedError(f'normal: "normal_kernel_cpu" not implemented for \'{_NP_NAME[s.dtype.name]}\'')
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
        raise NotImplementedError(f'normal: "normal_kernel_cpu" not implemented for \'{_NP_NAME[d.name]}\'')
    n = _numel(shape)
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
    return apply(Normal, *inputs, sample=values, overload=overload)


def bernoulli(input: Tensor, p=None, *, generator: Generator | None = None, out=None) -> Tensor:
    """1 with probability ``input`` (or ``p``), elementwise, else 0; in input's dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    g = _gen(generator, "bernoulli")
    a = input._data
    if p is None:
        hits = discrete.bernoulli_tensor(g, memory_layout.in_memory_order(a, a))
    else:
        hits = discrete.bernoulli_scalar(g, a.size, float(p))
    values = memory_layout.place(hits.astype(a.dtype), a)
    return _finish(values, out, False, "bernoulli")


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None, out=None) -> Tensor:
    """Indices drawn with probabilities proportional to the rows of ``input`` (1-D or 2-D)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    a = input._data
    if not 1 <= a.ndim <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if a.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {_NP_NAME[a.dtype.name]}")
    num_samples = _int_arg(num_samples, "num_samples", "multinomial")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > a.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if a.shape[-1] > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    p = np.ascontiguousarray(a.reshape(-1, a.shape[-1]))
    idx = discrete.multinomial(_gen(generator, "multinomial"), p, num_samples, bool(replacement))
    return _finish(idx.reshape(a.shape[:-1] + (num_samples,)), out, False, "multinomial")


# -- in-place fills -------------------------------------------------------------------------------------
def _fill(self: Tensor, draw, op: str) -> Tensor:
    """Write ``draw(n, contiguous)`` (a flat sequence in draw order) into self in torch's memory order."""
    a = self._data
    memory_layout.check_writable(a, op)
    values = memory_layout.place(draw(a.size, memory_layout.is_contiguous(a)), a)
    if state.enabled and self.requires_grad:
        return _random_fill(self, values, op)  # recorded: a fill node, or torch's error for a leaf
    np.copyto(a, values, casting="unsafe")
    self._version[0] += 1
    return self


_FLOAT_MAX = {2: float(np.finfo(np.float16).max), 4: float(np.finfo(np.float32).max),
              8: float(np.finfo(np.float64).max)}


def _float_self(self: Tensor, kernel: str) -> np.dtype:
    d = self._data.dtype
    if d.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_NP_NAME[d.name]}\'')
    return d


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None,
             **kw) -> Tensor:
    """Fill with U[a, b): ``x * (b - a) + a`` per element, fused, in self's dtype."""
    a, b = float(kw.pop("from", a)), float(kw.pop("to", b))
    d = _float_self(self, "check_uniform_bounds")
    top = _FLOAT_MAX[d.itemsize]
    for name, v in (("from", a), ("to", b)):
        if not -top <= v <= top:
            raise RuntimeError(f"uniform_ expects {name} to be in range [{-top:g}, {top:g}], but found {name}={v:g}")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")
    if b - a > top:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{_NP_NAME[d.name].lower()}>::max(), but "
                           f"found to={b:g} and from={a:g} which result in to-from to exceed the limit")
    g = _gen(generator, "uniform_")
    return _fill(self, lambda n, _c: uniform_alg.uniform(g, n, a, b, d), "uniform_")


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with N(mean, std**2): blocks of 16 for a contiguous tensor of 16 or more, else one at a time."""
    d = _float_self(self, "normal_kernel_cpu")
    mean, std = float(mean), float(std)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    g = _gen(generator, "normal_")
    return _fill(self, lambda n, c: normal_alg.normal(g, n, mean, std, d, contiguous=c), "normal_")


def random_(self: Tensor, *args, generator: Generator | None = None, **kw) -> Tensor:
    """``random_()``, ``random_(to)`` or ``random_(from, to)`` (``to=None``: up to the dtype's largest)."""
    if "from" in kw or "to" in kw:
        args = (kw.pop("from", 0), kw.pop("to", None))
    if kw:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kw))}'")
    g = _gen(generator, "random_")
    d = self._data.dtype
    if not args:
        return _fill(self, lambda n, _c: integers.random_bits(g, n, d), "random_")
    if len(args) == 1:
        low, high = 0, _int_arg(args[0], "to", "random_")
    elif len(args) == 2:
        low = _int_arg(args[0], "from", "random_")
        high = None if args[1] is None else _int_arg(args[1], "to", "random_")
    else:
        raise TypeError(f"random_() takes at most 2 positional arguments ({len(args)} given)")
    integers.random_from_to(Generator(), 0, low, high, d)  # argument checks before any draw
    return _fill(self, lambda n, _c: integers.random_from_to(g, n, low, high, d), "random_")


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with Exp(lambd) samples, ``-log1p(-u) / lambd`` for double uniforms u."""
    d = self._data.dtype
    if d.kind != "f":
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_NP_NAME[d.name]}")
    g = _gen(generator, "exponential_")
    lambd = float(lambd)
    return _fill(self, lambda n, _c: discrete.exponential(g, n, lambd, d), "exponential_")


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success."""
    g = _gen(generator, "geometric_")
    p, d = float(p), self._data.dtype
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    return _fill(self, lambda n, _c: discrete.geometric(g, n, p, d), "geometric_")


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with Cauchy(median, sigma) samples."""
    d = self._data.dtype
    if d.kind != "f":
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a floating "
                           f"point but you specified {_NP_NAME[d.name]}")
    median, sigma = float(median), float(sigma)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    g = _gen(generator, "cauchy_")
    return _fill(self, lambda n, _c: discrete.cauchy(g, n, median, sigma, d), "cauchy_")


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with exp(N(mean, std**2)) samples (torch draws them one at a time, whatever the size)."""
    d = _float_self(self, "log_normal_cpu")
    mean, std = float(mean), float(std)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    g = _gen(generator, "log_normal_")
    return _fill(self, lambda n, _c: discrete.log_normal(g, n, mean, std, d), "log_normal_")


def bernoulli_(self: Tensor, p=0.5, *, generator: Generator | None = None) -> Tensor:
    """Fill with 1 (probability p, a number or a tensor broadcast to self) or 0."""
    g = _gen(generator, "bernoulli_")
    d = self._data.dtype
    if isinstance(p, Tensor):
        probs = np.broadcast_to(p._data, self._data.shape)
        return _fill(self, lambda n, _c: discrete.bernoulli_tensor(g, memory_layout.in_memory_order(probs, self._data))
                     .astype(d), "bernoulli_")
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return _fill(self, lambda n, _c: discrete.bernoulli_scalar(g, n, p).astype(d), "bernoulli_")


def _tensor_bernoulli(self: Tensor, p=None, *, generator: Generator | None = None) -> Tensor:
    return bernoulli(self, p, generator=generator)


def _tensor_multinomial(self: Tensor, num_samples: int, replacement: bool = False, *,
                        generator: Generator | None = None) -> Tensor:
    return multinomial(self, num_samples, replacement, generator=generator)


def _attach() -> None:
    Tensor.uniform_ = uniform_
    Tensor.normal_ = normal_
    Tensor.random_ = random_
    Tensor.exponential_ = exponential_
    Tensor.bernoulli_ = bernoulli_
    Tensor.geometric_ = geometric_
    Tensor.cauchy_ = cauchy_
    Tensor.log_normal_ = log_normal_
    Tensor.bernoulli = _tensor_bernoulli
    Tensor.multinomial = _tensor_multinomial


_attach()
