"""``gradient``: the slope of sampled values along each dimension by finite differences (torch.gradient, after
numpy.gradient): central differences inside, one-sided ones of order ``edge_order`` (1 or 2) at the ends.

``spacing`` is the distance between samples (a number for every dimension, or one per dimension) or the
sample coordinates (one 1-D tensor per dimension, unevenly spaced allowed). Written with differentiable
slicing and arithmetic, so the result has gradients with respect to ``input``.
"""

from __future__ import annotations

from ..tensor import Tensor
from ._checks import require_tensor

__all__ = ["gradient"]


def _dims(input: Tensor, dim) -> list[int]:
    nd = input.dim()
    if dim is None:
        return list(range(nd))
    dims = [dim] if isinstance(dim, int) else list(dim)
    out = []
    for d in dims:
        if not -max(nd, 1) <= d < max(nd, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of [{-max(nd, 1)}, {max(nd, 1) - 1}], "
                             f"but got {d})")
        d %= max(nd, 1)
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    return out


def _spacings(input: Tensor, spacing, dims: list[int], dim_given: bool) -> list:
    if spacing is None:
        return [1] * len(dims)
    if isinstance(spacing, (int, float)) and not isinstance(spacing, bool):
        return [spacing] * len(dims)
    if isinstance(spacing, Tensor) or not isinstance(spacing, (list, tuple)):
        raise TypeError(f"gradient(): argument 'spacing' must be a number or a tuple of numbers or of 1-D tensors, "
                        f"not {type(spacing).__name__}")
    spacing = list(spacing)
    if len(spacing) != len(dims):
        if dim_given:
            raise RuntimeError(f"chaingrad.gradient expected spacing to be unspecified, a scalar or it's spacing and "
                               f"dim arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(dims)}.")
        raise RuntimeError(f"chaingrad.gradient expected spacing to be unspecified, a scalar, or a list of length "
                           f"equal to 'self.dim() = {input.dim()}', since dim argument was not given, but got a list "
                           f"of length {len(spacing)}")
    for s in spacing:
        if isinstance(s, Tensor) and s.dim() != 1:
            raise RuntimeError(f"chaingrad.gradient expected each element of spacing to have one dimension, but got an "
                               f"element with {s.dim()} dimensions!")
    return spacing


def _uniform(x: Tensor, d: int, h, edge_order: int) -> Tensor:
    from .shape import cat

    def part(start, stop=None):
        return x.narrow(d, start % x.shape[d], (x.shape[d] if stop is None else stop % x.shape[d]) - start % x.shape[d])

    center = (part(2) - part(0, -2)) / h
    if edge_order == 1:
        first = (part(1, 2) - part(0, 1)) / h
        last = (part(-1) - part(-2, -1)) / h
    else:
        first = (part(0, 1) * -1.5 + part(1, 2) * 2 - part(2, 3) * 0.5) / h
        last = (part(-3, -2) * 0.5 + part(-2, -1) * -2 + part(-1) * 1.5) / h
    return cat([first, center / 2, last], d)


def _coordinates(x: Tensor, d: int, coords: Tensor, edge_order: int) -> Tensor:
    from .shape import cat

    def part(start, stop=None):
        n = x.shape[d]
        return x.narrow(d, start % n, (n if stop is None else stop % n) - start % n)

    shape = [1] * x.dim()
    shape[d] = -1
    dx = coords.diff(1, 0)
    dx1, dx2 = dx[:-1], dx[1:]
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = a * part(0, -2) + b * part(1, -1) + c * part(2)
    if edge_order == 1:
        first = (part(1, 2) - part(0, 1)) / dx[0]
        last = (part(-1) - part(-2, -1)) / dx[-1]
    else:
        a0 = -(2.0 * dx[0] + dx[1]) / (dx[0] * (dx[0] + dx[1]))
        b0 = (dx[0] + dx[1]) / (dx[0] * dx[1])
        c0 = (-dx[0]) / (dx[1] * (dx[0] + dx[1]))
        first = a0 * part(0, 1) + b0 * part(1, 2) + c0 * part(2, 3)
        a1 = dx[-1] / (dx[-2] * (dx[-1] + dx[-2]))
        b1 = -(dx[-1] + dx[-2]) / (dx[-1] * dx[-2])
        c1 = (2 * dx[-1] + dx[-2]) / (dx[-1] * (dx[-1] + dx[-2]))
        last = a1 * part(-3, -2) + b1 * part(-2, -1) + c1 * part(-1)
    return cat([first, center, last], d)


def gradient(input: Tensor, *, spacing=None, dim=None, edge_order: int = 1) -> tuple[Tensor, ...]:
    """One tensor per dimension in ``dim`` (all by default): the estimated derivative of ``input`` along it."""
    require_tensor(input, "gradient")
    dims = _dims(input, dim)
    spacings = _spacings(input, spacing, dims, dim is not None)
    if edge_order not in (1, 2):
        raise RuntimeError("chaingrad.gradient only supports edge_order=1 and edge_order=2.")
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("chaingrad.gradient expected each dimension size to be at least edge_order+1")
    return tuple(_coordinates(input, d, s, edge_order) if isinstance(s, Tensor) else _uniform(input, d, s, edge_order)
                 for d, s in zip(dims, spacings))
