"""MNIST and Fashion-MNIST from the standard IDX files in a local folder (raw or gzip); ``read_idx`` and
``write_idx`` for the format itself (big-endian header: 0, 0, type code, rank, then one int32 per dim)."""

from __future__ import annotations

import gzip
import os
import struct

import numpy as np

from ..tensor import Tensor
from ..utils.data import TensorDataset
from .split import DatasetSplit

_TYPES: dict[int, np.dtype] = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
                               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES: dict[np.dtype, int] = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
                               np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file (gzip-compressed when the name ends in .gz)."""
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file (it should start with two zero bytes, a type code "
                         f"in {sorted(_TYPES)} and the number of dimensions)")
    dtype, ndim = _TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} is truncated inside its header ({len(raw)} bytes)")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != count * dtype.itemsize:
        raise ValueError(f"read_idx: {path} has {len(raw) - header} bytes of data but its header says shape "
                         f"{list(shape)} of {dtype.name} ({count * dtype.itemsize} bytes); the file is truncated or "
                         "corrupt")
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzip-compressed when the name ends in .gz)."""
    path = os.fspath(path)
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("=") if array.dtype.byteorder == ">" else array.dtype)
    if code is None:
        raise ValueError(f"write_idx: IDX cannot store {array.dtype}; use one of uint8, int8, int16, int32, "
                         "float32, float64")
    payload = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload += np.ascontiguousarray(array, dtype=array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(payload)


def _find(folders: list[str], name: str) -> str | None:
    for folder in folders:
        for candidate in (name, name + ".gz"):
            full = os.path.join(folder, candidate)
            if os.path.isfile(full):
                return full
    return None


def _load(root: str | os.PathLike, what: str, subfolder: str) -> DatasetSplit:
    root = os.fspath(os.path.expanduser(root))
    folders = [root, os.path.join(root, subfolder, "raw"), os.path.join(root, subfolder)]
    parts = []
    for split in ("train", "test"):
        images_name, labels_name = FILES[split]
        images_path, labels_path = _find(folders, images_name), _find(folders, labels_name)
        if images_path is None or labels_path is None:
            names = ", ".join(n for pair in FILES.values() for n in pair)
            raise FileNotFoundError(
                f"{what}: the IDX files were not found in {os.path.abspath(root)!r} (also looked in "
                f"{os.path.join(root, subfolder, 'raw')!r}). Put these four files there, raw or gzip-compressed "
                f"(.gz): {names}. chaingrad does not download anything.")
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"{what}: {images_path} should hold (N, rows, cols) images and {labels_path} N labels; "
                             f"got shapes {list(images.shape)} and {list(labels.shape)}")
        x = (images.astype(np.float32) / 255.0)[:, None, :, :]
        parts.append(TensorDataset(Tensor._wrap(x), Tensor._wrap(labels.astype(np.int64))))
    return DatasetSplit(*parts)


def mnist(root: str | os.PathLike = "data") -> DatasetSplit:
    """MNIST from ``root`` (or ``root/MNIST/raw``, torchvision's layout): (train, test) TensorDatasets of
    float32 images (N, 1, 28, 28) scaled to [0, 1] and int64 labels."""
    return _load(root, "mnist", "MNIST")


def fashion_mnist(root: str | os.PathLike = "data") -> DatasetSplit:
    """Fashion-MNIST from ``root`` (or ``root/FashionMNIST/raw``); same files and format as MNIST. Class
    names are in ``chaingrad.datasets.idx.FASHION_CLASSES``."""
    return _load(root, "fashion_mnist", "FashionMNIST")
