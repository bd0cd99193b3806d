"""The in-place random fills (``Tensor.uniform_``, ``normal_``, ``random_``, ``exponential_``, ``bernoulli_``,
``geometric_``, ``cauchy_``, ``log_normal_``): torch's stream written into a tensor in its memory order."""

from __future__ import annotations

import functools

import numpy as np

from ..autograd.grad_mode import state
from ..random import discrete, integers
from ..random import layout as memory_layout
from ..random import normal as normal_alg
from ..random import uniform as uniform_alg
from ..random.generator import Generator
from ..tensor import Tensor
from ._checks import scalar_type
from .inplace import _random_fill
from .random import _gen, _int_arg, bernoulli, multinomial


def _fill(self: Tensor, draw, op: str, node: str, p: Tensor | None = None) -> Tensor:
    """Write ``draw(n, contiguous)`` (a flat sequence in draw order) into self in torch's memory order;
    recorded as torch's node ``node`` (``p``: bernoulli_'s tensor of probabilities, an input of that node)."""
    a = self._data
    if a.flags.c_contiguous and a.flags.writeable:  # (the usual tensor, settled in two flag reads)
        values = draw(a.size, True)
        if a.ndim != 1:
            values = values.reshape(a.shape)
    else:
        memory_layout.check_writable(a, op)
        values = memory_layout.place(draw(a.size, memory_layout.is_contiguous(a)), a)
    if state.enabled and (self.requires_grad or (p is not None and p.requires_grad)):
        return _random_fill(self, values, op, node, p)  # recorded, or torch's error for a leaf
    a[...] = values  # (casting as copyto's "unsafe", in half its time on a few elements)
    self._version[0] += 1
    return self


_FLOAT_MAX = {2: float(np.finfo(np.float16).max), 4: float(np.finfo(np.float32).max),
              8: float(np.finfo(np.float64).max)}


def _float_self(self: Tensor, kernel: str) -> np.dtype:
    d = self._data.dtype
    if d.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{scalar_type(d.name)}\'')
    return d


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Generator | None = None,
             **kw) -> Tensor:
    """Fill with U[a, b): ``x * (b - a) + a`` per element, fused, in self's dtype (``from=``/``to=`` name a, b)."""
    if kw:
        a, b = kw.pop("from", a), kw.pop("to", b)
        if kw:
            raise TypeError(f"uniform_() got an unexpected keyword argument '{next(iter(kw))}'")
    a, b = float(a), float(b)
    d = _float_self(self, "check_uniform_bounds")
    _check_uniform_bounds(a, b, d.itemsize)
    g = _gen(generator, "uniform_")
    return _fill(self, lambda n, _c: uniform_alg.uniform(g, n, a, b, d), "uniform_", "UniformBackward0")


@functools.lru_cache(maxsize=256)  # (layer after layer calls uniform_ with the same few bounds)
def _check_uniform_bounds(a: float, b: float, itemsize: int) -> None:
    """torch's check_uniform_bounds for a float type of ``itemsize`` bytes."""
    top = _FLOAT_MAX[itemsize]
    for name, v in (("from", a), ("to", b)):
        if not -top <= v <= top:
            raise RuntimeError(f"uniform_ expects {name} to be in range [{-top:g}, {top:g}], but found {name}={v:g}")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")
    if b - a > top:
        kind = {2: "half", 4: "float", 8: "double"}[itemsize]
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{kind}>::max(), but found to={b:g} and "
                           f"from={a:g} which result in to-from to exceed the limit")


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with N(mean, std**2): blocks of 16 for a contiguous tensor of 16 or more, else one at a time."""
    d = _float_self(self, "normal_kernel_cpu")
    mean, std = float(mean), float(std)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    g = _gen(generator, "normal_")
    return _fill(self, lambda n, c: normal_alg.normal(g, n, mean, std, d, contiguous=c), "normal_", "NormalBackward0")


def random_(self: Tensor, *args, generator: Generator | None = None, **kw) -> Tensor:
    """``random_()``, ``random_(to)`` or ``random_(from, to)`` (``to=None``: up to the dtype's largest)."""
    if "from" in kw or "to" in kw:
        args = (kw.pop("from", 0), kw.pop("to", None))
    if kw:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kw))}'")
    g = _gen(generator, "random_")
    d = self._data.dtype
    if not args:
        return _fill(self, lambda n, _c: integers.random_bits(g, n, d), "random_", "RandomBackward2")
    if len(args) == 1:
        low, high = 0, _int_arg(args[0], "to", "random_")
    elif len(args) == 2:
        low = _int_arg(args[0], "from", "random_")
        high = None if args[1] is None else _int_arg(args[1], "to", "random_")
    else:
        raise TypeError(f"random_() takes at most 2 positional arguments ({len(args)} given)")
    integers.random_from_to(Generator(), 0, low, high, d)  # argument checks before any draw
    return _fill(self, lambda n, _c: integers.random_from_to(g, n, low, high, d), "random_",
                 "RandomBackward1" if len(args) == 1 else "RandomBackward0")


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with Exp(lambd) samples, ``-log1p(-u) / lambd`` for double uniforms u."""
    d = self._data.dtype
    if d.kind != "f":
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {scalar_type(d.name)}")
    g = _gen(generator, "exponential_")
    lambd = float(lambd)
    return _fill(self, lambda n, _c: discrete.exponential(g, n, lambd, d), "exponential_", "ExponentialBackward0")


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success."""
    g = _gen(generator, "geometric_")
    p, d = float(p), self._data.dtype
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    return _fill(self, lambda n, _c: discrete.geometric(g, n, p, d), "geometric_", "GeometricBackward0")


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with Cauchy(median, sigma) samples."""
    d = self._data.dtype
    if d.kind != "f":
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a floating "
                           f"point but you specified {scalar_type(d.name)}")
    median, sigma = float(median), float(sigma)
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    g = _gen(generator, "cauchy_")
    return _fill(self, lambda n, _c: discrete.cauchy(g, n, median, sigma, d), "cauchy_", "CauchyBackward0")


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Generator | None = None) -> Tensor:
    """Fill with exp(N(mean, std**2)) samples (torch draws them one at a time, whatever the size)."""
    d = _float_self(self, "log_normal_cpu")
    mean, std = float(mean), float(std)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    g = _gen(generator, "log_normal_")
    return _fill(self, lambda n, _c: discrete.log_normal(g, n, mean, std, d), "log_normal_",
                 "LogNormalBackward0")


def bernoulli_(self: Tensor, p=0.5, *, generator: Generator | None = None) -> Tensor:
    """Fill with 1 (probability p, a number or a tensor broadcast to self) or 0."""
    g = _gen(generator, "bernoulli_")
    d = self._data.dtype
    if isinstance(p, Tensor):
        probs = np.broadcast_to(p._data, self._data.shape)
        return _fill(self, lambda n, _c: discrete.bernoulli_tensor(g, memory_layout.in_memory_order(probs, self._data))
                     .astype(d), "bernoulli_", "BernoulliBackward1", p)
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    return _fill(self, lambda n, _c: discrete.bernoulli_scalar(g, n, p).astype(d), "bernoulli_", "BernoulliBackward2")


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
