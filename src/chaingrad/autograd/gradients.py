"""What the backward walk does to a gradient: un-broadcast it, cast it, sum two of them, hand it to a hook or
to ``.grad``, for each of the two ways gradients travel (``Arrays``; ``Tensors`` with create_graph=True).

This is the one place where a gradient is summed back over broadcast dimensions (``unbroadcast``); ops
return gradients in the shape of their output's arithmetic.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

_ndarray, _wrap = np.ndarray, Tensor._wrap  # (read for every gradient)


# -- un-broadcasting: the one place where a gradient is summed back to its input's shape ------------------
def broadcast_axes(shape: tuple, target: tuple) -> tuple | None:
    """The axes of ``shape`` that broadcasting ``target`` up to it added or stretched (None: it cannot have)."""
    lead = len(shape) - len(target)
    if lead < 0:
        return None
    axes = list(range(lead))
    for i, s in enumerate(target):
        if s != shape[lead + i]:
            if s != 1:
                return None
            axes.append(lead + i)
    return tuple(axes)


def unbroadcast(a: np.ndarray, target: tuple, axes: tuple | None = None) -> np.ndarray:
    """Sum ``a`` over the axes broadcasting added or stretched (``axes``, if known), to ``target``'s shape
    (SumTo's forward too)."""
    if axes is None:
        axes = broadcast_axes(a.shape, target)
        if axes is None:
            raise ValueError(f"shape {list(a.shape)} is not a broadcast of {list(target)}")
    return np.add.reduce(a, axis=axes, keepdims=True).reshape(target) if axes else a.reshape(target)


def _fit_error(node, i: int, shape: tuple, target: tuple) -> RuntimeError:
    return RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - got {list(shape)} but "
                        f"expected shape compatible with {list(target)}")


# -- what the walk does to a gradient, for each way gradients travel -----------------------------------------
class Arrays:
    """Gradients as NumPy arrays: backward without ``create_graph`` (no Tensor per intermediate gradient).

    Speed: wrapping every intermediate gradient in a Tensor and running each backward through Tensor
    operations is most of the cost of backward on small graphs (1.65x on the seed's graph). Ops whose
    backward is plain arithmetic (``backward_on_arrays``) run on the arrays themselves; the others get
    Tensors, with recording off. Tested against the Tensor path in tests/test_fast_paths.py.
    """

    create_graph = False

    @staticmethod
    def of(t: Tensor) -> np.ndarray:
        """A Tensor (a root gradient, what a hook returned) as a gradient of this kind."""
        return t._data

    @staticmethod
    def tensor(g: np.ndarray) -> Tensor:
        """A gradient as a Tensor, for hooks and ``.grad``."""
        return _wrap(g)

    @staticmethod
    def array(g: np.ndarray) -> np.ndarray:
        return g

    @staticmethod
    def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Two gradients that meet (an input used twice), summed; never a NumPy scalar, even for 0-d arrays."""
        s = a + b
        return s if type(s) is _ndarray else np.asarray(s)

    @staticmethod
    def zeros(shape: tuple, dtype) -> np.ndarray:
        return np.zeros(shape, dtype)

    @staticmethod
    def result(node, i: int, g) -> np.ndarray:
        """A gradient a backward returned, as an array: an array, a Tensor, or a NumPy scalar from 0-d arithmetic."""
        if isinstance(g, Tensor):
            return g._data
        if isinstance(g, (np.ndarray, np.generic)):
            return np.asarray(g)
        raise TypeError(f"function {node.name()} returned a gradient that is not an array or Tensor at index {i} "
                        f"(got {type(g).__name__})")

    @staticmethod
    def fit(g: np.ndarray, meta: tuple, node, i: int) -> np.ndarray:
        """``g`` un-broadcast and cast to input ``i``'s shape and dtype."""
        shape, dtype = meta
        if g.shape != shape:
            axes = broadcast_axes(g.shape, shape)
            if axes is not None:
                g = unbroadcast(g, shape, axes)
            elif g.size == _numel(shape):
                g = g.reshape(shape)
            else:
                raise _fit_error(node, i, g.shape, shape)
        return g if g.dtype == dtype else g.astype(dtype)

    @staticmethod
    def accumulate(t: Tensor, g: np.ndarray, owned: bool = False) -> None:
        """``t.grad += g``, out of place, so that ``.grad`` never shares memory with another gradient.

        Speed: a first gradient becomes ``.grad`` without a copy when ``owned`` (only the walk holds it: see
        ``run_backward``) and it is a writable array of its own: copying every weight's gradient would cost
        a pass over memory per step. Tested in tests/test_fast_paths.py: no ``.grad`` shares memory.
        """
        old = t._grad
        if old is None:
            if not owned or g.base is not None or not g.flags.writeable:
                g = g.copy()
            t._grad = _wrap(g)
        elif old.requires_grad:  # a .grad recorded by an earlier create_graph=True: the sum is recorded too
            t._grad = old + _wrap(g)
        else:
            t._grad = _wrap(Arrays.add(old._data, g))


class Tensors:
    """Gradients as Tensors, with recording on: ``create_graph=True`` records the backward pass itself."""

    create_graph = True

    @staticmethod
    def of(t: Tensor) -> Tensor:
        return t

    @staticmethod
    def tensor(g: Tensor) -> Tensor:
        return g

    @staticmethod
    def array(g: Tensor) -> np.ndarray:
        return g._data

    @staticmethod
    def add(a: Tensor, b: Tensor) -> Tensor:
        return a + b

    @staticmethod
    def zeros(shape: tuple, dtype) -> Tensor:
        return Tensor._wrap(np.zeros(shape, dtype))

    @staticmethod
    def result(node, i: int, g) -> Tensor:
        if not isinstance(g, Tensor):
            raise TypeError(f"function {node.name()} returned a gradient that is not a Tensor at index {i} "
                            f"(got {type(g).__name__})")
        return g

    @staticmethod
    def fit(g: Tensor, meta: tuple, node, i: int) -> Tensor:
        from ..ops.reduce import sum_to

        shape, dtype = meta
        if g._data.shape != shape:
            if broadcast_axes(g._data.shape, shape) is not None:
                g = sum_to(g, shape)  # the same sum, recorded (SumTo's forward is ``unbroadcast``)
            elif g._data.size == _numel(shape):
                g = g.reshape(shape)
            else:
                raise _fit_error(node, i, g._data.shape, shape)
        return g if g._data.dtype == dtype else g.to(dtype)

    @staticmethod
    def accumulate(t: Tensor, g: Tensor, owned: bool = False) -> None:
        """``t.grad += g``, recorded: with create_graph, ``.grad`` is the recorded gradient itself (as torch)."""
        t._grad = g if t._grad is None else t._grad + g


def _numel(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
