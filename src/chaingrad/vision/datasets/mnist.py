"""MNIST, Fashion-MNIST and Kuzushiji-MNIST as torchvision has them: ``MNIST(root, train=True,
transform=None, target_transform=None, download=False)`` reads ``root/MNIST/raw/*-ubyte`` (or the ``.gz``
files as downloaded), ``download=True`` fetches the four files from the class's ``mirrors`` in order,
checks their MD5 and unpacks them. ``dataset[i]`` is ``(image, target)``: a PIL image in mode "L" (a
28x28 uint8 NumPy array when Pillow is not installed) and an int. ``.data`` (uint8, N x 28 x 28) and
``.targets`` (int64) are chaingrad tensors, ``.classes`` the class names."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

import numpy as np

from ...datasets.idx import read_idx
from ...tensor import Tensor
from .utils import check_integrity, download_and_extract_archive
from .vision import VisionDataset


def _pil_image():
    """PIL.Image, or None without Pillow (then images are NumPy arrays)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


class MNIST(VisionDataset):
    """The MNIST digits (60,000 training and 10,000 test images of 28x28 pixels)."""

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if self._check_legacy_exist():
            self.data, self.targets = self._load_legacy_data()
            return
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError(f"Dataset not found. You can use download=True to download it, or put the files "
                               f"{', '.join(self._raw_names())} (or the .gz files) into {self.raw_folder}")
        self.data, self.targets = self._load_data()

    # -- files -------------------------------------------------------------------------------------------
    @property
    def raw_folder(self) -> str:
        return os.path.join(str(self.root), self.__class__.__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(str(self.root), self.__class__.__name__, "processed")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def _raw_names(self) -> list[str]:
        return [os.path.splitext(name)[0] for name, _ in self.resources]

    def _raw_path(self, name: str) -> str | None:
        """The unpacked file, or the .gz as downloaded (read directly, a chaingrad convenience)."""
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if check_integrity(path):
                return path
        return None

    def _check_exists(self) -> bool:
        return all(self._raw_path(name) is not None for name in self._raw_names())

    def _check_legacy_exist(self) -> bool:
        """torchvision before 0.9 cached the data as processed/training.pt and test.pt."""
        return all(check_integrity(os.path.join(self.processed_folder, f)) for f in (self.training_file,
                                                                                      self.test_file))

    def _load_legacy_data(self) -> tuple[Tensor, Tensor]:
        from ...serialization import load

        data, targets = load(os.path.join(self.processed_folder, self.training_file if self.train else
                                          self.test_file))
        return data, targets

    def _load_data(self) -> tuple[Tensor, Tensor]:
        split = "train" if self.train else "t10k"
        images_path = self._raw_path(f"{split}-images-idx3-ubyte")
        labels_path = self._raw_path(f"{split}-labels-idx1-ubyte")
        assert images_path is not None and labels_path is not None
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or images.dtype != np.uint8 or labels.ndim != 1 or len(images) != len(labels):
            raise RuntimeError(f"{self.__class__.__name__}: {images_path} should hold N images of uint8 pixels and "
                               f"{labels_path} N labels; got {images.dtype} {list(images.shape)} and "
                               f"{list(labels.shape)}")
        return Tensor._wrap(np.ascontiguousarray(images)), Tensor._wrap(labels.astype(np.int64))

    def download(self) -> None:
        """Fetch the four files (skipping those already there), trying each mirror in order."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            failures = []
            for mirror in self.mirrors:
                url = f"{mirror}{filename}"
                try:
                    print(f"Downloading {url}")
                    download_and_extract_archive(url, download_root=self.raw_folder, filename=filename, md5=md5)
                except (URLError, OSError) as error:
                    print(f"Failed to download (trying next):\n{error}")
                    failures.append(f"{url} ({error})")
                    continue
                finally:
                    print()
                break
            else:
                raise RuntimeError(
                    f"Error downloading {filename}: every mirror failed: {'; '.join(failures)}. Without a network, "
                    f"download {', '.join(name for name, _ in self.resources)} by hand and put them into "
                    f"{os.path.abspath(self.raw_folder)}")

    # -- samples -----------------------------------------------------------------------------------------
    def __getitem__(self, index: int) -> tuple[Any, Any]:
        pixels = self.data._data[index]
        target: Any = int(self.targets._data[index])
        image = _pil_image()
        img: Any = image.fromarray(np.ascontiguousarray(pixels)) if image is not None else pixels.copy()
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train is True else 'Test'}"

    @property
    def train_labels(self) -> Tensor:
        warnings.warn("train_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def test_labels(self) -> Tensor:
        warnings.warn("test_labels has been renamed targets", stacklevel=2)
        return self.targets

    @property
    def train_data(self) -> Tensor:
        warnings.warn("train_data has been renamed data", stacklevel=2)
        return self.data

    @property
    def test_data(self) -> Tensor:
        warnings.warn("test_data has been renamed data", stacklevel=2)
        return self.data


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grey images of 10 kinds of clothing, MNIST's file format."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: 28x28 images of 10 cursive Japanese characters."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
