"""The textbook's synthetic linear-regression data (d2l 3.2): ``y = X w + b + noise``."""

from __future__ import annotations

from typing import Any

from ..ops.creation import tensor as _tensor
from ..ops.linalg import matmul
from ..ops.random import Generator, normal
from ..tensor import Tensor


def synthetic_regression(w, b: float, num_examples: int, noise: float = 0.01,
                         generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """``X ~ N(0, 1)`` of shape (num_examples, len(w)) and ``y = X w + b + N(0, noise^2)`` of shape
    (num_examples, 1), drawn from chaingrad's generator (``manual_seed`` makes it repeatable)."""
    w = w.detach() if isinstance(w, Tensor) else _tensor(w)
    if not w.is_floating_point():
        w = w.float()
    if w.ndim != 1:
        raise ValueError(f"synthetic_regression: w must be a 1-D tensor of weights, got shape {list(w.shape)}")
    X = normal(0.0, 1.0, (num_examples, len(w)), generator=generator, dtype=w.dtype)
    Xw: Any = matmul(X, w)  # (Tensor's operators are attached at import time, unseen by type checkers)
    y = Xw + b
    y = y + normal(0.0, noise, tuple(y.shape), generator=generator, dtype=w.dtype)
    return X, y.reshape((-1, 1))
