"""The base of torchvision's datasets: a root folder, transforms for the image and the target, and the
printed summary (``Dataset FashionMNIST / Number of datapoints: 60000 / Root location: ...``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ...utils.data import Dataset


class VisionDataset(Dataset):
    """``root`` plus ``transform`` (applied to the image) and ``target_transform`` (to the target)."""

    _repr_indent = 4

    def __init__(self, root: str | os.PathLike | None, transforms: Callable | None = None,
                 transform: Callable | None = None, target_transform: Callable | None = None) -> None:
        self.root = os.path.expanduser(os.fspath(root)) if root is not None else None
        if transforms is not None and (transform is not None or target_transform is not None):
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = transforms

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        for name, t in (("Transform: ", self.transform), ("Target transform: ", self.target_transform)):
            if t is not None:
                text = repr(t).splitlines()
                lines += [name + text[0]] + [" " * len(name) + rest for rest in text[1:]]
        pad = " " * self._repr_indent
        return "\n".join([f"Dataset {self.__class__.__name__}"] + [pad + line for line in lines])
