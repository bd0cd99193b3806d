"""torchvision's names for vision data: ``from chaingrad import vision as torchvision``.

``torchvision.datasets.MNIST``, ``FashionMNIST`` and ``KMNIST`` (torchvision's signature, folder layout and
mirrors, with ``download=True``) and ``torchvision.transforms`` (``ToTensor``, ``Normalize``, ``Compose``,
``Resize``, ``RandomHorizontalFlip``, ``RandomCrop``, ``Lambda`` ...) returning chaingrad tensors.
"""

from . import datasets, transforms

__all__ = ["datasets", "transforms"]
