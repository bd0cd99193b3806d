"""Resampling and patches of images for torch.nn.functional: interpolate (upsample), unfold (im2col), fold.

Every interpolation mode is linear in the input and separable: each spatial dim is mapped by a small
(out, in) matrix of weights computed exactly as torch's kernels compute their source indices and weights
(in the input's precision). So one node applies the matrices, and its backward applies their transposes.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..autograd.node import Node, apply
from ..ops._checks import require_tensor, scalar_type
from ..tensor import Tensor

# -- interpolate ---------------------------------------------------------------------------------------------
_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "lanczos", "area", "nearest-exact")
_LINEAR_NDIM = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_NAMES = {"nearest": "UpsampleNearest{d}D", "nearest-exact": "UpsampleNearestExact{d}D", "linear": "UpsampleLinear1D",
          "bilinear": "UpsampleBilinear2D", "bicubic": "UpsampleBicubic2D", "trilinear": "UpsampleTrilinear3D",
          "area": "AdaptiveAvgPool{d}D"}


class Resample(Node):
    """out = input with spatial dim 2 + i mapped by ``mats[i]`` (an out_i x in_i matrix)."""

    formulas = ("dL/dx = dL/dout mapped back by the transposed interpolation weights of each spatial dim",)

    def forward(ctx, x, mats=(), label="Resample"):
        ctx.mats, ctx.label = mats, label  # (label: torch's op name, UpsampleBilinear2D; the node is label + Backward0)
        out = x
        for i, w in enumerate(mats):
            if w is not None:
                out = np.moveaxis(np.moveaxis(out, 2 + i, -1) @ w.T, -1, 2 + i)
        return np.ascontiguousarray(out)

    def backward(ctx, g):
        label = ctx.label + "Backward"
        return apply(Resample.named(label + "Backward0"), g, mats=tuple(None if w is None else w.T for w in ctx.mats),
                     label=label)


def _nearest(n_in: int, n_out: int, scale, exact: bool, dt) -> np.ndarray:
    """torch's nearest source index: floor(dst * scale) (exact: floor((dst + 0.5) * scale)), in float32."""
    dst = np.arange(n_out)
    if not exact and n_out == n_in:
        src = dst
    elif not exact and n_out == 2 * n_in:
        src = dst >> 1
    else:
        s = np.float32(1.0 / scale) if scale is not None else np.float32(n_in) / np.float32(n_out)
        pos = (dst.astype(np.float32) + np.float32(0.5)) * s if exact else dst.astype(np.float32) * s
        src = np.minimum(np.floor(pos).astype(np.int64), n_in - 1)
    w = np.zeros((n_out, n_in), dt)
    w[dst, src] = 1
    return w


def _linear_scale(n_in: int, n_out: int, align_corners: bool, scale, dt):
    if align_corners:
        return dt(n_in - 1) / dt(n_out - 1) if n_out > 1 else dt(0)
    return dt(1.0 / scale) if scale is not None and scale > 0 else dt(n_in) / dt(n_out)


def _linear(n_in: int, n_out: int, align_corners: bool, scale, dt) -> np.ndarray:
    """Two-tap weights: src = scale * (dst + 0.5) - 0.5 (>= 0), or dst * scale with align_corners."""
    s = _linear_scale(n_in, n_out, align_corners, scale, dt)
    dst = np.arange(n_out).astype(dt)
    src = s * dst if align_corners else np.maximum(s * (dst + dt(0.5)) - dt(0.5), dt(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam1 = np.clip(src - i0.astype(dt), dt(0), dt(1))
    i1 = i0 + (i0 < n_in - 1)
    w = np.zeros((n_out, n_in), dt)
    rows = np.arange(n_out)
    np.add.at(w, (rows, i0), dt(1) - lam1)
    np.add.at(w, (rows, i1), lam1)
    return w


def _cubic(n_in: int, n_out: int, align_corners: bool, scale, dt) -> np.ndarray:
    """Four-tap Keys cubic weights (A = -0.75), indices clamped at the borders, as torch's bicubic."""
    a = dt(-0.75)
    s = _linear_scale(n_in, n_out, align_corners, scale, dt)
    dst = np.arange(n_out).astype(dt)
    src = s * dst if align_corners else s * (dst + dt(0.5)) - dt(0.5)
    i0 = np.floor(src).astype(np.int64)
    t = src - i0.astype(dt)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    coeffs = (far(t + 1), near(t), near(1 - t), far(2 - t))
    w = np.zeros((n_out, n_in), dt)
    rows = np.arange(n_out)
    for k, c in enumerate(coeffs):
        np.add.at(w, (rows, np.clip(i0 - 1 + k, 0, n_in - 1)), c.astype(dt))
    return w


def _area(n_in: int, n_out: int, dt) -> np.ndarray:
    """Adaptive average pooling: output i averages inputs floor(i * in / out) .. ceil((i + 1) * in / out) - 1."""
    w = np.zeros((n_out, n_in), dt)
    for i in range(n_out):
        start = (i * n_in) // n_out
        end = -((-(i + 1) * n_in) // n_out)
        w[i, start:end] = dt(1) / dt(end - start)
    return w


def _tuple(v, n: int, what: str, spatial: list):
    if isinstance(v, (list, tuple)):
        if len(v) != n:
            first, shown, fmt = ("output", "output size of", "o") if what == "size" else \
                ("scale_factor", "scale_factor of shape", "s")
            later = "output size" if what == "size" else "scale_factor"
            raise ValueError(f"Input and {first} must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {spatial} and {shown} {tuple(v)}. Please provide input tensor in "
                             f"(N, C, d1, d2, ...,dK) format and {later} in ({fmt}1, {fmt}2, ...,{fmt}K) format.")
        return tuple(v)
    return (v,) * n


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of an (N, C, d1 [, d2 [, d3]]) tensor to ``size`` or by ``scale_factor``.

    Modes: nearest, nearest-exact, linear (3-D input), bilinear and bicubic (4-D), trilinear (5-D) and area
    (adaptive average pooling). ``align_corners=True`` maps the corner pixels' centres onto each other."""
    require_tensor(input, "interpolate")
    nd = input._data.ndim
    if mode not in _MODES or nd not in (3, 4, 5):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for the modes: "
                                  f"{' | '.join(_MODES)} (got {mode})")
    if mode == "lanczos":
        raise NotImplementedError("interpolate: mode 'lanczos' is not supported; use 'bicubic' or 'bilinear'")
    if mode in _LINEAR_NDIM and nd != _LINEAR_NDIM[mode]:
        raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs {_LINEAR_NDIM[mode]}D input")
    if align_corners is not None and mode not in _LINEAR_NDIM:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias:
        if mode not in ("bilinear", "bicubic"):
            raise ValueError("Anti-alias option is restricted to bilinear and bicubic modes and requires a 4-D tensor "
                             "as input")
        raise NotImplementedError(f"interpolate: antialias=True ({mode} with an anti-aliasing filter) is not "
                                  "supported; use antialias=False")
    spatial = list(input._data.shape[2:])
    n = len(spatial)
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        out = tuple(int(s) for s in _tuple(size, n, "size", spatial))
        scales: tuple[float | None, ...] = (None,) * n
    else:
        factors = tuple(float(s) for s in _tuple(scale_factor, n, "scale_factor", spatial))
        out = tuple(int(math.floor(float(s) * f)) for s, f in zip(spatial, factors))
        scales = (None,) * n if recompute_scale_factor else factors
    if min(spatial + list(out)) <= 0:
        names = "DHW"[3 - n:]
        given = ", ".join(f"{c}: {s}" for c, s in zip(names, spatial))
        wanted = ", ".join(f"{c}: {s}" for c, s in zip(names, out))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({given}) output "
                           f"({wanted})")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"upsample_{mode.replace('-', '_')}{n}d\" not implemented for "
                                  f"'{scalar_type(input)}' (interpolate: call .float() on the input first)")
    dt = input._data.dtype.type
    ac = bool(align_corners)
    mats = []
    for s_in, s_out, sc in zip(spatial, out, scales):
        if mode in ("nearest", "nearest-exact"):
            mats.append(_nearest(s_in, s_out, sc, mode == "nearest-exact", dt))
        elif mode == "bicubic":
            mats.append(_cubic(s_in, s_out, ac, sc, dt))
        elif mode == "area":
            mats.append(_area(s_in, s_out, dt))
        else:
            mats.append(_linear(s_in, s_out, ac, sc, dt))
    label = _NAMES[mode].format(d=n)
    return apply(Resample.named(label + "Backward0"), input, mats=tuple(mats), label=label)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """The older name of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    return interpolate(input, size, scale_factor, "nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Bilinear with align_corners=True, as torch's deprecated function."""
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


# -- unfold / fold ---------------------------------------------------------------------------------------------
def _pair(v, name: str) -> tuple[int, int]:
    if isinstance(v, numbers.Integral):
        return int(v), int(v)
    v = tuple(int(x) for x in v)
    if len(v) == 1:
        return v[0], v[0]
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
    return v


def _blocks(size, k, d, p, s) -> tuple[int, int]:
    return tuple((size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))


class Im2Col(Node):
    """(N, C, H, W) -> (N, C*kh*kw, L): every kernel-sized block of the padded input as a column."""

    formulas = ("dL/dx = col2im(dL/dout): each block's gradient added back where the block was read",)

    def forward(ctx, x, kernel=(1, 1), dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
        ctx.args = (x.shape[2:], kernel, dilation, padding, stride)
        n, c, h, w = x.shape
        (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
        oh, ow = _blocks((h, w), kernel, dilation, padding, stride)
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
        cols = np.empty((n, c, kh, kw, oh, ow), x.dtype)
        for i in range(kh):
            for j in range(kw):
                cols[:, :, i, j] = xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
        return cols.reshape(n, c * kh * kw, oh * ow)

    def backward(ctx, g):
        size, k, d, p, s = ctx.args
        return apply(Col2Im, g, output_size=size, kernel=k, dilation=d, padding=p, stride=s)


class Col2Im(Node):
    """(N, C*kh*kw, L) -> (N, C, H, W): the columns summed back into the image (overlaps add up)."""

    input_names = ("cols",)
    formulas = ("dL/dcols = im2col(dL/dout)",)

    def forward(ctx, cols, output_size=(1, 1), kernel=(1, 1), dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
        ctx.args = (kernel, dilation, padding, stride)
        (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = output_size, kernel, dilation, padding, stride
        oh, ow = _blocks((h, w), kernel, dilation, padding, stride)
        n = cols.shape[0]
        c = cols.shape[1] // (kh * kw)
        blocks = cols.reshape(n, c, kh, kw, oh, ow)
        xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), cols.dtype)
        for i in range(kh):
            for j in range(kw):
                r, c_ = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
                xp[:, :, r, c_] += blocks[:, :, i, j]
        return np.ascontiguousarray(xp[:, :, ph:ph + h, pw:pw + w])

    def backward(ctx, g):
        k, d, p, s = ctx.args
        return apply(Im2Col, g, kernel=k, dilation=d, padding=p, stride=s)


def _patch_args(kernel_size, dilation, padding, stride):
    k, d, p, s = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"), _pair(padding, "padding"),
                  _pair(stride, "stride"))
    if min(k) <= 0 or min(d) <= 0 or min(s) <= 0 or min(p) < 0:
        raise RuntimeError(f"kernel_size, dilation and stride must be greater than zero and padding non-negative, "
                           f"but got kernel_size={k}, dilation={d}, padding={p}, stride={s}")
    return k, d, p, s


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding blocks: (N, C, H, W) -> (N, C * kh * kw, L), L the number of block positions (im2col)."""
    require_tensor(input, "unfold")
    k, d, p, s = _patch_args(kernel_size, dilation, padding, stride)
    nd = input._data.ndim
    if nd not in (3, 4) or 0 in input._data.shape[1:]:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input._data.shape)}")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"im2col_out_cpu\" not implemented for '{scalar_type(input)}' (unfold: call "
                                  ".float() on the input first)")
    x = input if nd == 4 else input.unsqueeze(0)
    blocks = _blocks(x._data.shape[2:], k, d, p, s)
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size {tuple(x._data.shape[2:])}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, calculated shape of the array of sliding blocks as {blocks}, but its "
                           "components must be at least one.")
    out = apply(Im2Col, x, kernel=k, dilation=d, padding=p, stride=s)
    return out if nd == 4 else out.squeeze(0)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine sliding blocks into an image: (N, C * kh * kw, L) -> (N, C, H, W), overlapping values summed."""
    require_tensor(input, "fold")
    size = _pair(output_size, "output_size")
    k, d, p, s = _patch_args(kernel_size, dilation, padding, stride)
    nd = input._data.ndim
    if nd not in (2, 3) or 0 in input._data.shape[1:]:
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(input._data.shape)}")
    x = input if nd == 3 else input.unsqueeze(0)
    ch = x._data.shape[1]
    if ch % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={ch} and kernel_size={k}.")
    blocks = _blocks(size, k, d, p, s)
    if blocks[0] * blocks[1] != x._data.shape[2]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
                           f"expected size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)="
                           f"{x._data.shape[2]}.")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"col2im_out_cpu\" not implemented for '{scalar_type(input)}' (fold: call .float() "
                                  "on the input first)")
    out = apply(Col2Im, x, output_size=size, kernel=k, dilation=d, padding=p, stride=s)
    return out if nd == 3 else out.squeeze(0)
