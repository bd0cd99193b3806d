"""The (train, test) pair every dataset function returns."""

from __future__ import annotations

from typing import NamedTuple

from ..utils.data import TensorDataset


class DatasetSplit(NamedTuple):
    """``train, test = chaingrad.datasets.digits()``; each is a ``TensorDataset`` of (images, labels)."""

    train: TensorDataset
    test: TensorDataset
