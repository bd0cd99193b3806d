"""The image operations behind the transforms, on the three kinds of image torchvision code passes around:
a PIL image (handled by Pillow, as torchvision does), a NumPy array H x W (x C) (what chaingrad's
datasets give without Pillow), and a chaingrad tensor (..., C, H, W). Tensors stay tensors and arrays
stay arrays; only ``to_tensor`` changes the kind."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

import numpy as np

from ...tensor import Tensor
from . import resize as _resize


class InterpolationMode(Enum):
    """torchvision's interpolation names (the values are torch.nn.functional.interpolate's modes)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_CODES = {InterpolationMode.NEAREST: 0, InterpolationMode.LANCZOS: 1, InterpolationMode.BILINEAR: 2,
              InterpolationMode.BICUBIC: 3, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5}


def interpolation_mode(mode: Any) -> InterpolationMode:
    """An InterpolationMode from itself or from a PIL resampling code (``PIL.Image.BILINEAR`` = 2)."""
    if isinstance(mode, InterpolationMode):
        return mode
    for name, code in _PIL_CODES.items():
        if isinstance(mode, int) and mode == code:
            return name
    raise TypeError(f"interpolation should be an InterpolationMode (or a PIL resampling code), got {mode!r}")


def _is_pil(img: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:
        return False
    return isinstance(img, Image.Image)


def _check_image(img: Any, op: str) -> None:
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise TypeError(f"{op}: a tensor image needs at least 2 dims (..., H, W), got shape {list(img.shape)}")
    elif isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"{op}: a NumPy image is H x W or H x W x C, got shape {list(img.shape)}")
    elif not _is_pil(img):
        raise TypeError(f"{op}: img should be a PIL Image, a NumPy array or a tensor. Got {type(img)}")


def get_dimensions(img: Any) -> list[int]:
    """[channels, height, width] of the image."""
    _check_image(img, "get_dimensions")
    if isinstance(img, Tensor):
        channels = 1 if img.ndim == 2 else img.shape[-3]
        return [channels, img.shape[-2], img.shape[-1]]
    if isinstance(img, np.ndarray):
        return [1 if img.ndim == 2 else img.shape[2], img.shape[0], img.shape[1]]
    return [len(img.getbands()), img.height, img.width]


# -- conversion and normalisation ---------------------------------------------------------------------------
def to_tensor(pic: Any) -> Tensor:
    """A PIL image or an H x W (x C) array to a C x H x W tensor; uint8 pixels are divided by 255 into the
    default float dtype, other dtypes keep their values."""
    from ..._dtype import get_default_dtype

    if _is_pil(pic):
        by_mode = {"I": np.int32, "I;16": np.int16, "F": np.float32}
        array = np.array(pic, by_mode.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            array = 255 * array
        array = array.reshape(pic.height, pic.width, len(pic.getbands()))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        array = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    chw = np.ascontiguousarray(array.transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        return Tensor._wrap((chw.astype(get_default_dtype().np) / 255).astype(get_default_dtype().np))
    return Tensor._wrap(chw)


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> Tensor:
    """``(tensor - mean[c]) / std[c]`` per channel c of a (..., C, H, W) float tensor."""
    from ... import as_tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tensor.size()}")
    # (Tensor's operators and methods are attached by chaingrad.ops at import time, unseen by type checkers)
    m: Any = as_tensor(mean, dtype=tensor.dtype)
    s: Any = as_tensor(std, dtype=tensor.dtype)
    t: Any = tensor
    if bool(np.any(s._data == 0)):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    if m.ndim == 1:
        m = m.reshape(-1, 1, 1)
    if s.ndim == 1:
        s = s.reshape(-1, 1, 1)
    if inplace:
        return t.sub_(m).div_(s)
    return (t - m) / s


# -- geometry ---------------------------------------------------------------------------------------------
def _output_size(height: int, width: int, size: int | Sequence[int], max_size: int | None) -> list[int]:
    """[h, w]: a pair as given; one number is the smaller edge, the other keeps the aspect ratio."""
    if isinstance(size, int) or len(size) == 1:
        requested = size if isinstance(size, int) else size[0]
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                                 f"smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return [new_long, new_short] if width <= height else [new_short, new_long]
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, i.e. "
                         "size should be an int or a sequence of length 1 in torchscript mode.")
    return [int(size[0]), int(size[1])]


def resize(img: Any, size: int | Sequence[int], interpolation: Any = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool | None = True) -> Any:
    """Resize to ``size`` (see Resize). PIL images go through Pillow's resampling (which always
    antialiases), tensors and arrays through torch's interpolation (``resize.py``)."""
    _check_image(img, "resize")
    mode = interpolation_mode(interpolation)
    _, height, width = get_dimensions(img)
    out_h, out_w = _output_size(height, width, size, max_size)
    if [out_h, out_w] == [height, width]:
        return img
    if _is_pil(img):
        if mode not in _PIL_CODES:
            raise ValueError(f"resize: {mode} is not supported for PIL images")
        return img.resize((out_w, out_h), _PIL_CODES[mode])
    if mode.value not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"resize: {mode} is only supported for PIL images; tensors support NEAREST, "
                         "NEAREST_EXACT, BILINEAR and BICUBIC")
    aa = bool(antialias) and mode.value in ("bilinear", "bicubic")
    if isinstance(img, np.ndarray):
        hwc = img[:, :, None] if img.ndim == 2 else img
        chw = Tensor._wrap(np.ascontiguousarray(hwc.transpose(2, 0, 1)))
        out = _resize_tensor(chw, out_h, out_w, mode.value, aa)._data.transpose(1, 2, 0)
        return np.ascontiguousarray(out[:, :, 0] if img.ndim == 2 else out)
    return _resize_tensor(img, out_h, out_w, mode.value, aa)


def _resize_tensor(img: Tensor, out_h: int, out_w: int, mode: str, antialias: bool) -> Tensor:
    """W_rows @ img @ W_cols.T in float (float32 unless the image is float64), back to integers by
    rounding (bicubic clamped to 0..255 for uint8), as torchvision does."""
    from ... import float32, tensor

    source: Any = img
    work: Any = img if img.dtype.name in ("float32", "float64") else source.to(float32)
    dt = work.dtype.np
    rows = tensor(_resize.weights(img.shape[-2], out_h, mode, antialias, dt), dtype=work.dtype)
    cols = tensor(_resize.weights(img.shape[-1], out_w, mode, antialias, dt).T, dtype=work.dtype)
    out: Any = rows @ work @ cols
    if img.dtype is work.dtype:
        return out
    if not img.dtype.is_floating_point:
        if mode == "bicubic" and img.dtype.name == "uint8":
            out = out.clamp(0, 255)
        out = out.round()
    return out.to(img.dtype)


def hflip(img: Any) -> Any:
    """Mirror left-right."""
    _check_image(img, "hflip")
    if _is_pil(img):
        from PIL import Image

        return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if isinstance(img, np.ndarray):
        return np.ascontiguousarray(img[:, ::-1])
    return img.flip(-1)


def _padding(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) from torchvision's 1, 2 (left/right, top/bottom) or 4 numbers."""
    if isinstance(padding, int):
        return padding, padding, padding, padding
    if not isinstance(padding, Sequence) or len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not {padding!r}")
    p = [int(v) for v in padding]
    if len(p) == 1:
        return p[0], p[0], p[0], p[0]
    if len(p) == 2:
        return p[0], p[1], p[0], p[1]
    return p[0], p[1], p[2], p[3]


def pad(img: Any, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant") -> Any:
    """Pad the borders: ``padding`` as torchvision's, ``padding_mode`` constant (with ``fill``), edge,
    reflect (without repeating the edge pixel) or symmetric (repeating it)."""
    _check_image(img, "pad")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _padding(padding)
    if _is_pil(img):
        if min(left, top, right, bottom) < 0:
            raise ValueError("pad: negative padding is supported for tensors only")
        array = np.asarray(img)
    elif isinstance(img, np.ndarray):
        array = img
    else:
        return _pad_tensor(img, left, top, right, bottom, fill, padding_mode)
    widths: Any = [(top, bottom), (left, right)] + ([(0, 0)] if array.ndim == 3 else [])
    if padding_mode == "constant":
        fills = np.asarray(fill, dtype=array.dtype)
        out = np.pad(array, widths, mode="constant", constant_values=0)
        mask = np.ones(out.shape[:2], dtype=bool)
        mask[top:top + array.shape[0], left:left + array.shape[1]] = False
        out[mask] = fills
    else:
        numpy_mode: Any = padding_mode  # the same names as NumPy's
        out = np.pad(array, widths, mode=numpy_mode)
    if _is_pil(img):
        from PIL import Image

        padded = Image.fromarray(out)
        if img.mode == "P":
            padded.putpalette(img.getpalette())
        return padded
    return out


def _pad_tensor(img: Tensor, left: int, top: int, right: int, bottom: int, fill: Any, mode: str) -> Tensor:
    """Tensors are padded by indexing (differentiable): each output row/column picks an input one."""
    from ...nn.functional import pad as pad_constant

    if mode == "constant":
        if not isinstance(fill, (int, float)):
            raise TypeError("pad: a tensor is padded with one number (fill must be an int or float)")
        return pad_constant(img, (left, right, top, bottom), value=float(fill))
    numpy_mode: Any = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[mode]
    out: Any = img
    for dim, lo, hi in ((-1, left, right), (-2, top, bottom)):
        n = img.shape[dim]
        src = np.pad(np.arange(n), (max(lo, 0), max(hi, 0)), mode=numpy_mode)
        src = src[max(-lo, 0):len(src) - max(-hi, 0)]
        out = out.index_select(out.ndim + dim, Tensor._wrap(src.astype(np.int64)))
    return out


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The ``height`` x ``width`` window whose top-left pixel is (top, left); beyond the image it is
    filled with zeros (as torchvision's)."""
    _check_image(img, "crop")
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padded = pad(img, [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)], fill=0)
        return crop(padded, max(top, 0), max(left, 0), height, width)
    if isinstance(img, np.ndarray):
        return np.ascontiguousarray(img[top:bottom, left:right])
    return img[..., top:bottom, left:right]
