"""Sampling grids for torch.nn.functional (spatial transformers): affine_grid and grid_sample, 2-D.

grid_sample is written with differentiable tensor operations: each output point reads the (up to) four input
pixels around its source location through a gather, weighted by its bilinear weights, so gradients reach both
the input (through the gather) and the grid (through the weights), as torch's GridSampler2D kernel computes
them. Source locations, weights and their sum follow torch's CPU kernel step by step.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..ops._checks import require_tensor
from ..ops.creation import linspace
from ..tensor import Tensor

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")


def _align(align_corners: bool | None) -> bool:
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def _base_coordinates(steps: int, align_corners: bool, dtype) -> Tensor:
    """-1 .. 1 in ``steps`` points (pixel centres without align_corners: scaled by (steps - 1) / steps)."""
    if steps <= 1:
        return linspace(0, 0, 1, dtype=dtype)
    r = linspace(-1, 1, steps, dtype=dtype)
    return r if align_corners else r * (steps - 1) / steps


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """The (N, H, W, 2) grid of the points [x, y] = theta @ [x_out, y_out, 1] for an output of ``size`` (N, C,
    H, W), in grid_sample's normalized coordinates (-1: the left/top edge, 1: the right/bottom)."""
    align = _align(align_corners)
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) == 5:
        raise NotImplementedError("affine_grid: 3-D (5-D size) affine grids are not supported by chaingrad; only "
                                  "4-D sizes (N, C, H, W) with N x 2 x 3 thetas")
    if len(size) != 4:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
        raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                         f"{theta.shape}.")
    if align and min(size[-2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", UserWarning, stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    n, _, h, w = size
    if theta.shape[0] != n:
        raise RuntimeError(f"affine_grid: theta has a batch of {theta.shape[0]} matrices for a size with N={n}")
    xs = _base_coordinates(w, align, theta.dtype)._data
    ys = _base_coordinates(h, align, theta.dtype)._data
    dt = theta._data.dtype
    x = Tensor._wrap(np.broadcast_to(xs[None, :], (h, w)).reshape(1, h * w, 1).astype(dt))
    y = Tensor._wrap(np.broadcast_to(ys[:, None], (h, w)).reshape(1, h * w, 1).astype(dt))
    # x * theta[:, :, 0] + y * theta[:, :, 1] + theta[:, :, 2], summed in this order as torch's kernel rounds it
    rows = theta.transpose(1, 2).unsqueeze(1)  # (N, 1, 3, 2)
    grid = x * rows[:, :, 0] + y * rows[:, :, 1] + rows[:, :, 2]
    return grid.reshape(n, h, w, 2)


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """Reflect coordinates into [twice_low / 2, twice_high / 2] by the edges, as often as needed."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    coord = (coord - low).abs()
    extra = coord.fmod(span)
    flips = np.floor(coord._data / np.asarray(span, coord._data.dtype))
    even = Tensor._wrap(flips % 2 == 0)
    return (extra + low).where(even, span - extra + low)


def _source(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """Pixel coordinates of normalized grid coordinates, with the border and reflection paddings applied."""
    coord = (coord + 1) * ((size - 1) / 2) if align_corners else (coord + 1) * (size / 2) - 0.5
    if padding_mode == "border":
        coord = coord.clamp(0, size - 1)
    elif padding_mode == "reflection":
        coord = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        coord = coord.clamp(0, size - 1)
    return coord


def _gather(flat: Tensor, ys: np.ndarray, xs: np.ndarray, h: int, w: int) -> Tensor:
    """input[n, :, ys, xs] for (N, Ho, Wo) integer locations; locations outside the image read 0."""
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    index = (np.clip(ys, 0, h - 1) * w + np.clip(xs, 0, w - 1)).reshape(xs.shape[0], 1, -1)
    n, c = flat.shape[0], flat.shape[1]
    values = flat.gather(2, Tensor._wrap(np.ascontiguousarray(np.broadcast_to(index, (n, c, index.shape[2])))))
    values = values.reshape(n, c, *xs.shape[1:])
    if inside.all():
        return values
    return values * Tensor._wrap(inside[:, None].astype(flat._data.dtype))


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Sample ``input`` (N, C, H, W) at the (N, Ho, Wo, 2) normalized [x, y] locations of ``grid``; the output is
    (N, C, Ho, Wo). ``mode``: bilinear or nearest; ``padding_mode``: zeros, border or reflection."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    align = _align(align_corners)
    require_tensor(input, "grid_sampler")
    require_tensor(grid, "grid_sampler", "grid", 2)
    if mode == "bicubic":
        raise NotImplementedError("grid_sample: mode='bicubic' is not supported by chaingrad; use 'bilinear' or "
                                  "'nearest'")
    if input.dim() == 5:
        raise NotImplementedError("grid_sample: 5-D (volumetric) input is not supported by chaingrad; only 4-D "
                                  "(N, C, H, W)")
    if input.dim() != 4 or grid.dim() != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise RuntimeError("grid_sampler(): expected a 4-D input (N, C, H, W) and a grid (N, H_out, W_out, 2) with "
                           f"the same N, but got input of shape {list(input.shape)} and grid of shape "
                           f"{list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but input has "
                           f"{input.dtype} and grid has {grid.dtype}")
    h, w = input.shape[2], input.shape[3]
    ix = _source(grid[..., 0], w, padding_mode, align)
    iy = _source(grid[..., 1], h, padding_mode, align)
    flat = input.reshape(input.shape[0], input.shape[1], h * w)
    if mode == "nearest":
        xs, ys = np.rint(ix._data).astype(np.int64), np.rint(iy._data).astype(np.int64)
        # the grid gets a zero gradient (not None), as torch gives it
        return _gather(flat, ys, xs, h, w) * (ix * 0 + 1).unsqueeze(1)
    x_w, y_n = np.floor(ix._data), np.floor(iy._data)
    we = ix - Tensor._wrap(x_w)  # the weight of the east column
    ns = iy - Tensor._wrap(y_n)  # the weight of the south row
    e, s = 1 - we, 1 - ns
    x0, y0 = x_w.astype(np.int64), y_n.astype(np.int64)
    out = _gather(flat, y0, x0, h, w) * (s * e).unsqueeze(1)
    out = out + _gather(flat, y0, x0 + 1, h, w) * (s * we).unsqueeze(1)
    out = out + _gather(flat, y0 + 1, x0, h, w) * (ns * e).unsqueeze(1)
    return out + _gather(flat, y0 + 1, x0 + 1, h, w) * (ns * we).unsqueeze(1)
