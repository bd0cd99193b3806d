"""scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes) as chaingrad tensors."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ..utils.data import TensorDataset
from .split import DatasetSplit


def digits(test_size: float = 0.2, seed: int = 0, flatten: bool = False) -> DatasetSplit:
    """The digits as ``(train, test)`` TensorDatasets of float32 images in [0, 1] and int64 labels.

    Images have shape (N, 1, 8, 8) (or (N, 64) with ``flatten=True``). The split is stratified by class
    and fixed by ``seed`` (it does not use chaingrad's random generator); ``test_size`` is a fraction.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("chaingrad.datasets.digits needs scikit-learn, which bundles the data: "
                          "pip install scikit-learn") from None
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"digits: test_size must be a fraction between 0 and 1, got {test_size}")
    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)  # pixel values are 0..16
    labels = bunch.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    held_out: list[int] = []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        held_out.extend(members[:int(round(len(members) * test_size))].tolist())
    test_mask = np.zeros(len(labels), dtype=bool)
    test_mask[held_out] = True
    train_idx = rng.permutation(np.flatnonzero(~test_mask))
    test_idx = rng.permutation(np.flatnonzero(test_mask))
    shape = (-1, 64) if flatten else (-1, 1, 8, 8)

    def part(idx):
        return TensorDataset(Tensor._wrap(np.ascontiguousarray(images[idx].reshape(shape))),
                             Tensor._wrap(labels[idx]))

    return DatasetSplit(part(train_idx), part(test_idx))
