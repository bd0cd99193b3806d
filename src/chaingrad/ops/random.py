"""Random numbers from chaingrad's own generator: ``manual_seed(n)`` makes runs repeatable."""

from __future__ import annotations

import json

import numpy as np

from .._dtype import int64, to_dtype
from ..tensor import Tensor
from .creation import _float_or, _new, parse_size

DEFAULT_SEED = 67280421310721  # the seed torch's default generator starts from


class Generator:
    """A source of random numbers (``chaingrad.Generator().manual_seed(0)``), on NumPy's PCG64."""

    def __init__(self, device: str = "cpu") -> None:
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        self._seed = seed
        self._rng = None  # made on first use: importing numpy.random costs ~8 ms of `import chaingrad`
        return self

    @property
    def rng(self) -> np.random.Generator:
        """The NumPy generator that draws the numbers."""
        if self._rng is None:
            self._rng = np.random.Generator(np.random.PCG64(self._seed & 0xFFFFFFFFFFFFFFFF))
        return self._rng

    @rng.setter
    def rng(self, value: np.random.Generator) -> None:
        self._rng = value

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        seed = int(np.random.SeedSequence().entropy) & 0xFFFFFFFFFFFFFFFF
        self.manual_seed(seed)
        return seed

    def get_state(self) -> Tensor:
        """The generator's state as a uint8 tensor (restore it with ``set_state``)."""
        text = json.dumps({"seed": self._seed, "state": self.rng.bit_generator.state})
        return Tensor._wrap(np.frombuffer(text.encode(), dtype=np.uint8).copy())

    def set_state(self, new_state: Tensor) -> Generator:
        info = json.loads(np.asarray(new_state._data, dtype=np.uint8).tobytes().decode())
        self._seed = info["seed"]
        self.rng = np.random.Generator(np.random.PCG64())
        self.rng.bit_generator.state = info["state"]
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed chaingrad's default generator; every random function draws from it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


def _rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator).rng


def rand(*sizes, size=None, generator: Generator | None = None, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    d = _float_or(dtype)
    shape = parse_size(sizes, "rand", size)
    return _new(_rng(generator).random(shape, dtype=np.float64).astype(d), requires_grad)


def randn(*sizes, size=None, generator: Generator | None = None, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    d = _float_or(dtype)
    return _new(_rng(generator).standard_normal(parse_size(sizes, "randn", size)).astype(d), requires_grad)


def randint(low, high=None, size=None, *, generator: Generator | None = None, out=None, dtype=None,
            layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """Integers in [low, high); ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size' (pass a tuple such as (3,))")
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    d = int64.np if dtype is None else to_dtype(dtype).np
    return _new(_rng(generator).integers(low, high, size=parse_size((size,), "randint")).astype(d), requires_grad)


def randperm(n: int, *, generator: Generator | None = None, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    d = int64.np if dtype is None else to_dtype(dtype).np
    return _new(_rng(generator).permutation(int(n)).astype(d), requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator: Generator | None = None, out=None, dtype=None,
           requires_grad: bool = False, **kw) -> Tensor:
    """Normal samples; ``mean``/``std`` may be tensors (then the shape comes from them)."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if isinstance(s, (int, float)) and s < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {s}")
    if size is None:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        base = m if isinstance(m, np.ndarray) else s
        d = base.dtype if isinstance(base, np.ndarray) else _float_or(dtype)
    else:
        shape, d = parse_size((size,), "normal"), _float_or(dtype)
    z = _rng(generator).standard_normal(shape)
    return _new((m + s * z).astype(d), requires_grad)


def rand_like(input: Tensor, *, dtype=None, generator=None, **kw) -> Tensor:
    return rand(input.shape, dtype=dtype or input.dtype, generator=generator,
                requires_grad=kw.get("requires_grad", False))


def randn_like(input: Tensor, *, dtype=None, generator=None, **kw) -> Tensor:
    return randn(input.shape, dtype=dtype or input.dtype, generator=generator,
                 requires_grad=kw.get("requires_grad", False))


def randint_like(input: Tensor, low, high=None, *, dtype=None, **kw) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype)


def bernoulli(input: Tensor, p=None, *, generator: Generator | None = None) -> Tensor:
    """1 with probability ``input`` (elementwise), else 0."""
    probs = input._data if p is None else np.full(input._data.shape, p)
    draw = _rng(generator).random(input._data.shape)
    return Tensor._wrap((draw < probs).astype(input._data.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Indices drawn with probabilities proportional to the rows of ``input``."""
    p = np.atleast_2d(input._data.astype(np.float64))
    if not replacement and num_samples > p.shape[-1]:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rng = _rng(generator)
    rows = [rng.choice(p.shape[-1], size=num_samples, replace=replacement, p=row / row.sum()) for row in p]
    out = np.array(rows, dtype=np.int64)
    return Tensor._wrap(out if input._data.ndim == 2 else out[0])
